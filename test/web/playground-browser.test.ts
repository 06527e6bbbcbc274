/**
 * The playground in real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core):
 * upload an image, submit an upscale, watch the progress bar move over SSE, see the result image,
 * find the task in "recent tasks". Saves a screenshot to test-artifacts/.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureImage, postJson, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`playground browser test skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

const dataUri = (file: string) => `data:image/jpeg;base64,${readFileSync(file).toString('base64')}`;
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');

let svc: TestService;
let browser: Browser;

/**
 * A fast machine can finish a page's task before the page's event stream is open, so the only
 * worker is first held by a long task; the returned function cancels it once the page shows its
 * own task queued. The page then follows its task before the first step runs, on any machine.
 */
async function holdTheWorker(): Promise<(page: Page) => Promise<void>> {
  const blocker = await submit(svc.url, 'image_upscale', { image_url: dataUri(fixtureImage('noface_rocket.jpg')), scale_factor: 4 }, 'blocker');
  expect(blocker.status).toBe(202);
  const id = blocker.body.ticket_id as string;
  await waitFor(svc.url, id, (b) => b.status === 'In Progress');
  return async (page) => {
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 20_000 }).toMatch(/^Queueing/);
    expect((await postJson(`${svc.url}/cancel_task/${id}`, {})).status).toBe(200);
  };
}

describe.skipIf(!haveChromium)('playground in headless Chromium', () => {
  beforeAll(async () => {
    // Small tiles: the upscale has many steps and lasts long enough for the page's event stream to see several.
    svc = await startTestService({ BACKSERV_UPSCALE_TILE: '16', BACKSERV_UPSCALE_PAD: '4' }); // one worker
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  it('submits an upscale from the page, the progress bar moves, the result image appears', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
    const consoleErrors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(`${svc.url}/`);
    expect(await page.title()).toBe('Back.Serv playground');
    // Every form control has a label the accessibility tree can use.
    // (Browser-side code is passed as strings: this project compiles without the DOM types.)
    const unlabeled = await page.evaluate(
      "[...document.querySelectorAll('input, select, textarea')].filter((el) => !el.labels || !el.labels.length).map((el) => el.id)");
    expect(unlabeled).toEqual([]);

    await page.getByLabel('Task type').selectOption('image_upscale');
    await page.getByLabel('…or an image file').setInputFiles(fixtureImage('lowres_bryan.png'));
    await page.getByLabel('Scale factor').selectOption('2');
    // Record every value the progress bar takes (the task is fast; polling could miss steps).
    await page.evaluate(`
      window.seen = [];
      const bar = document.getElementById('progress');
      new MutationObserver(() => window.seen.push(Number(bar.getAttribute('value')))).observe(bar, { attributes: true, attributeFilter: ['value'] });
    `);
    const release = await holdTheWorker();
    const submitted = page.waitForRequest((r) => r.url().endsWith('/submit_task'));
    await page.getByRole('button', { name: 'Submit task' }).click();
    const body = JSON.parse((await submitted).postData() ?? '{}') as { task_type: string; task_params: { image_url: string; scale_factor: number } };
    expect(body.task_type).toBe('image_upscale');
    expect(body.task_params.image_url).toMatch(/^data:image\/png;base64,/);
    expect(body.task_params.scale_factor).toBe(2);
    await release(page);

    const img = page.locator('#result img');
    await img.waitFor({ state: 'visible', timeout: 30_000 });
    await page.waitForFunction("(() => { const i = document.querySelector('#result img'); return !!i && i.complete && i.naturalWidth > 0; })()");
    const size = await page.evaluate("(() => { const i = document.querySelector('#result img'); return [i.naturalWidth, i.naturalHeight]; })()");
    expect(size).toEqual([230, 230]); // 115 px × 2
    const seen = (await page.evaluate('window.seen')) as number[];
    const moving = seen.filter((v) => v > 0 && v < 100);
    expect(moving.length).toBeGreaterThanOrEqual(2); // several intermediate steps were shown
    expect(seen.at(-1)).toBe(100);
    for (let i = 1; i < seen.length; i++) if (seen[i] !== 0) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
    await expect.poll(() => page.locator('#status').textContent()).toBe('Completed.');
    const download = page.getByRole('link', { name: /Download/ });
    expect(await download.getAttribute('href')).toMatch(/\/results\/[0-9a-f-]+\.png$/);
    expect(await page.locator('#recent li').first().textContent()).toMatch(/image_upscale · Completed/);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'playground-upscale.png'), fullPage: true });
    expect(existsSync(join(ARTIFACTS, 'playground-upscale.png'))).toBe(true);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('image_creation: the live preview shows while it runs, then every image of the batch', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
    const consoleErrors: string[] = [];
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(`${svc.url}/`);
    await page.getByLabel('Task type').selectOption('image_creation');
    await page.locator('#ic-prompt').fill('a lighthouse');
    await page.locator('#ic-width').fill('768');
    await page.locator('#ic-height').fill('768');
    await page.locator('#ic-steps').fill('40');
    await page.locator('#ic-batch').fill('2');
    await page.locator('#ic-preview').fill('2');
    // Record every preview the page shows (the task is fast; polling could miss them).
    await page.evaluate(`
      window.previews = [];
      new MutationObserver(() => { const i = document.querySelector('#result img.preview'); if (i) window.previews.push(i.alt); })
        .observe(document.getElementById('result'), { subtree: true, childList: true, attributes: true, attributeFilter: ['src'] });
    `);
    const release = await holdTheWorker();
    await page.getByRole('button', { name: 'Submit task' }).click();
    await release(page);
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 60_000 }).toBe('Completed.');
    const previews = (await page.evaluate('window.previews')) as string[];
    expect(previews.length).toBeGreaterThan(0);
    expect(previews[0]).toMatch(/^Live preview at step \d+$/);
    await expect.poll(() => page.locator('#result img').count()).toBe(2);
    expect(await page.locator('#result img.preview').count()).toBe(0);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('/docs renders the API with swagger-ui, with no request leaving this server', async () => {
    const page = await browser.newPage();
    const foreign: string[] = [];
    page.on('request', (r) => { if (!r.url().startsWith(svc.url) && !r.url().startsWith('data:')) foreign.push(r.url()); });
    await page.goto(`${svc.url}/docs/`);
    await page.locator('.swagger-ui .info .title').waitFor({ timeout: 20_000 });
    expect(await page.locator('.swagger-ui .info .title').textContent()).toContain('Back.Serv');
    await page.locator('.opblock-summary-path[data-path="/submit_task"]').first().waitFor();
    expect(foreign).toEqual([]);
    await page.close();
  });
});
