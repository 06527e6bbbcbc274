/**
 * The playground in real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core),
 * against a service with the test models (every task type runnable): upload an image, submit an
 * upscale, watch the progress bar move over SSE, see the result beside its input, find the task in
 * "recent tasks"; image_creation's live previews; the forms built from the OpenAPI schemas. Saves
 * screenshots to test-artifacts/. The offline default install is playground-offline.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureImage, getJson, postJson, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { CHROMIUM, compareSizes, haveChromium, launchChromium, openPlayground, screenshot, unlabeledControls } from '../helpers/browser.js';

if (!haveChromium) console.warn(`playground browser test skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

const dataUri = (file: string) => `data:image/jpeg;base64,${readFileSync(file).toString('base64')}`;

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

type Schema = Record<string, unknown> & { type?: string; properties?: Record<string, Schema>; required?: string[]; enum?: unknown[]; items?: Schema };
interface OpenApiDoc { components: { schemas: Record<string, Schema & { discriminator?: { mapping: Record<string, string> } }> } }

/** task type → task_params schema, from the document's submit variants. */
function paramSchemas(doc: OpenApiDoc): Record<string, Schema & { properties: Record<string, Schema> }> {
  const byRef = (ref: string) => doc.components.schemas[ref.split('/').pop() as string];
  const mapping = doc.components.schemas.SubmitRequest.discriminator?.mapping ?? {};
  return Object.fromEntries(Object.entries(mapping).map(([type, ref]) => {
    const variant = byRef(ref) as { properties: { task_params: { $ref: string } } };
    return [type, byRef(variant.properties.task_params.$ref) as Schema & { properties: Record<string, Schema> }];
  }));
}

function options(page: Page, id: string): Promise<string[]> {
  return page.evaluate(`[...document.getElementById(${JSON.stringify(id)}).options].map((o) => o.value)`);
}

/** The control for one schema property is there, of the kind its schema asks for, with its bounds; returns how many were checked. */
async function expectControl(page: Page, id: string, name: string, prop: Schema, required: boolean, installed: string[] | null): Promise<number> {
  const info = (await page.evaluate(`(() => {
    const e = document.getElementById(${JSON.stringify(id)});
    if (!e) return null;
    return { tag: e.tagName.toLowerCase(), type: e.type, min: e.getAttribute('min'), max: e.getAttribute('max'), step: e.getAttribute('step'),
      maxlength: e.getAttribute('maxlength'), required: e.required, multiple: !!e.multiple, labelled: !!(e.labels && e.labels.length) || e.tagName === 'FIELDSET',
      options: e.options ? [...e.options].map((o) => o.value) : null };
  })()`)) as null | { tag: string; type: string; min: string | null; max: string | null; step: string | null; maxlength: string | null; required: boolean; multiple: boolean; labelled: boolean; options: string[] | null };
  expect(info, `a control for ${id}`).not.toBeNull();
  if (!info) return 0;
  expect(info.labelled, `${id} is labelled`).toBe(true);
  const pattern = typeof prop.pattern === 'string' ? prop.pattern : '';
  const settings = Array.isArray(prop.oneOf) && prop.oneOf.length === 2 && (prop.oneOf as Schema[]).some((b) => b.type === 'boolean')
    ? (prop.oneOf as Schema[]).find((b) => b.type === 'object' && b.properties) : undefined;
  if (name === 'model' && installed) {
    expect(info.options, id).toEqual(['', ...installed]);
  } else if (prop.type === 'string' && pattern.includes('[dD][aA][tT][aA]:')) {
    expect(info.tag, id).toBe('input');
    expect(await page.locator(`#${id}-file`).getAttribute('type'), `${id}-file`).toBe('file');
    expect(info.required, id).toBe(required);
  } else if (prop.type === 'string' && Array.isArray(prop.enum)) {
    expect(info.options?.filter((o) => o !== ''), id).toEqual(prop.enum);
  } else if (prop.type === 'integer' || prop.type === 'number') {
    expect([info.type, info.min, info.max], id).toEqual(['number', prop.minimum === undefined ? null : String(prop.minimum), prop.maximum === undefined ? null : String(prop.maximum)]);
    expect(info.step, id).toBe(String(prop.multipleOf ?? (prop.type === 'integer' ? 1 : 'any')));
    expect(info.required, id).toBe(required);
  } else if (prop.type === 'boolean') {
    expect(info.options, id).toEqual(['', 'true', 'false']);
  } else if (prop.type === 'array' && Array.isArray(prop.items?.enum)) {
    expect(info.multiple, id).toBe(true);
    expect(info.options, id).toEqual(prop.items?.enum);
  } else if (prop.type === 'object' && prop.properties) {
    // An optional object's required properties are not required: the whole object may be left out.
    expect(info.tag, id).toBe('fieldset');
    let n = 0;
    for (const [k, sub] of Object.entries(prop.properties)) n += await expectControl(page, `${id}-${k}`, k, sub, required && (prop.required ?? []).includes(k), null);
    return n + 1;
  } else if (settings?.properties) {
    // true, or settings: a yes/no choice and the settings' fields.
    expect(info.tag, id).toBe('fieldset');
    expect(await options(page, `${id}-on`), `${id}-on`).toEqual(['', 'true', 'false']);
    let n = 0;
    for (const [k, sub] of Object.entries(settings.properties)) n += await expectControl(page, `${id}-${k}`, k, sub, false, null);
    return n + 1;
  } else if (prop.type === 'array' && prop.items?.type === 'object' && prop.items.properties) {
    // A list of objects: a row appears on "Add", with the item's fields (its required ones required).
    expect(info.tag, id).toBe('fieldset');
    const rows = await page.locator(`#${id} > .rows > fieldset`).count();
    await page.locator(`#${id}-add`).evaluate((b) => (b as unknown as { click(): void }).click()); // the form may be hidden
    let n = 0;
    for (const [k, sub] of Object.entries(prop.items.properties)) n += await expectControl(page, `${id}-${rows + 1}-${k}`, k, sub, (prop.items.required ?? []).includes(k), null);
    return n + 1;
  } else if (prop.type === 'string') {
    expect(info.maxlength, id).toBe(prop.maxLength === undefined ? null : String(prop.maxLength));
    expect(info.required, id).toBe(required);
  }
  return 1;
}

describe.skipIf(!haveChromium)('playground in headless Chromium', () => {
  beforeAll(async () => {
    // Small tiles: the upscale has many steps and lasts long enough for the page's event stream to see several.
    svc = await startTestService({ BACKSERV_UPSCALE_TILE: '16', BACKSERV_UPSCALE_PAD: '4' }); // one worker
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  it('submits an upscale from the page, the progress bar moves, the result appears beside its input', async () => {
    const { page, errors: consoleErrors } = await openPlayground(browser, svc.url);
    expect(await page.title()).toBe('Back.Serv playground');
    // Every form control (all the generated ones included) has a label the accessibility tree can use.
    expect(await page.locator('#params input, #params select, #params textarea').count()).toBeGreaterThan(30);
    expect(await unlabeledControls(page)).toEqual([]);

    await page.getByLabel('Task type').selectOption('image_upscale');
    // A 512² input in 16-px tiles: ~1000 model runs, so the task lasts long enough for several
    // progress events to reach the page even on a loaded CI machine (115² was too quick there).
    await page.locator('#image_upscale-image_url-file').setInputFiles(fixtureImage('portrait_astronaut.jpg'));
    await page.locator('#image_upscale-scale_factor').fill('2');
    // Record every value the progress bar takes (the task is fast; polling could miss steps).
    await page.evaluate(`
      window.seen = [];
      const bar = document.getElementById('progress');
      new MutationObserver(() => window.seen.push(Number(bar.getAttribute('value')))).observe(bar, { attributes: true, attributeFilter: ['value'] });
    `);
    const release = await holdTheWorker();
    const submitted = page.waitForRequest((r) => r.url().endsWith('/submit_task'));
    await page.getByRole('button', { name: 'Submit task' }).click();
    const body = JSON.parse((await submitted).postData() ?? '{}') as { task_type: string; task_params: Record<string, unknown> };
    expect(body.task_type).toBe('image_upscale');
    expect(body.task_params.image_url).toMatch(/^data:image\/jpeg;base64,/);
    expect(body.task_params.scale_factor).toBe(2);
    expect(Object.keys(body.task_params).sort()).toEqual(['image_url', 'scale_factor']); // empty fields are left out
    await release(page);

    const img = page.locator('#result img.after');
    await img.waitFor({ state: 'visible', timeout: 30_000 });
    // The comparison: the input (512 px) and the result (512 px × 2), each at its natural size.
    expect(await compareSizes(page)).toEqual({ before: [512, 512], after: [1024, 1024] });
    const seen = (await page.evaluate('window.seen')) as number[];
    const moving = seen.filter((v) => v > 0 && v < 100);
    expect(moving.length).toBeGreaterThanOrEqual(2); // several intermediate steps were shown
    expect(seen.at(-1)).toBe(100);
    for (let i = 1; i < seen.length; i++) if (seen[i] !== 0) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
    await expect.poll(() => page.locator('#status').textContent()).toBe('Completed.');
    const download = page.getByRole('link', { name: /Download/ });
    expect(await download.getAttribute('href')).toMatch(/\/results\/[0-9a-f-]+\.png$/);
    expect(await img.getAttribute('src')).toBe(await download.getAttribute('href'));
    expect(await page.locator('#recent li').first().textContent()).toMatch(/image_upscale · Completed/);

    const shot = await screenshot(page, 'playground-upscale.png');
    expect(existsSync(shot)).toBe(true);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('image_creation: the live preview shows while it runs, then every image of the batch', async () => {
    const { page, errors: consoleErrors } = await openPlayground(browser, svc.url);
    await page.getByLabel('Task type').selectOption('image_creation');
    await page.locator('#image_creation-prompt').fill('a lighthouse');
    await page.locator('#image_creation-width').fill('768');
    await page.locator('#image_creation-height').fill('768');
    await page.locator('#image_creation-steps').fill('40');
    await page.locator('#image_creation-batch_size').fill('2');
    await page.locator('#image_creation-preview_every').fill('2');
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
    await screenshot(page, 'playground-image-creation.png');
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('builds every parameter of every task type from /openapi.json, with the schema\'s bounds; model selectors list installed models only', async () => {
    const { page, errors } = await openPlayground(browser, svc.url);
    const fetched = (await page.evaluate("performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)")) as string[];
    expect(fetched).toEqual(expect.arrayContaining(['/openapi.json', '/ready']));
    const doc = (await getJson(`${svc.url}/openapi.json`)).body as unknown as OpenApiDoc;
    const ready = (await getJson(`${svc.url}/ready`)).body as { task_types: Record<string, { models: { id: string; installed: boolean }[] }> };
    const schemas = paramSchemas(doc);
    expect(Object.keys(schemas).sort()).toEqual(Object.keys(ready.task_types).sort());
    let checked = 0;
    for (const [type, schema] of Object.entries(schemas)) {
      const installed = ready.task_types[type].models.filter((m) => m.installed).map((m) => m.id);
      for (const [name, prop] of Object.entries(schema.properties)) {
        checked += await expectControl(page, `${type}-${name}`, name, prop, (schema.required ?? []).includes(name), installed);
      }
    }
    expect(checked).toBeGreaterThan(40);

    // Spot checks written out, independent of the document: real params and their bounds.
    const attrs = (id: string) => page.evaluate(`(() => { const e = document.getElementById(${JSON.stringify(id)}); return e && [e.type, e.min, e.max, e.step]; })()`);
    expect(await attrs('image_upscale-scale_factor')).toEqual(['number', '2', '4', '1']);
    // 1536: the schema's bound (SDXL models); an SD 1.x model's 1024 is checked at the door (400 naming the field).
    expect(await attrs('image_creation-width')).toEqual(['number', '64', '1536', '8']);
    expect(await attrs('video_creation-width')).toEqual(['number', '64', '768', '8']);
    expect(await attrs('background_removal-feather')).toEqual(['number', '0', '50', 'any']);
    expect(await attrs('image_creation-outpaint-left')).toEqual(['number', '0', '512', '8']);
    expect(await attrs('face_swap-mask_blur')).toEqual(['number', '0', '1', 'any']);
    // Installed models only: the test models include realesrgan-x4plus and sd-turbo, not x4fast or sd15.
    expect(await options(page, 'image_upscale-model')).toEqual(['', 'realesrgan-x4plus']);
    expect(await options(page, 'image_creation-model')).toEqual(['', 'sd-turbo']);
    expect(await options(page, 'background_removal-model')).toEqual(['', 'selfie-segmentation']);
    expect(await options(page, 'face_swap-engine')).toEqual(['', 'auto', 'inswapper', 'mesh']);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the form generator reads the shapes task params take: true-or-settings, lists of objects, video files, nested objects, lists of named choices', async () => {
    // The schema shapes of face_enhance (true or {model, blend}), loras (a list of {name, weight}),
    // target_video and hires, built in the page by the playground's own module and read back.
    const { page, errors } = await openPlayground(browser, svc.url);
    const out = (await page.evaluate(`(async () => {
      const { buildTaskForm } = await import('/schema-form.js');
      const ref = { type: 'string', minLength: 1, pattern: '^(?:[hH][tT][tT][pP][sS]?://|[dD][aA][tT][aA]:)' };
      const schema = { type: 'object', additionalProperties: false, required: ['source_image'], properties: {
        source_image: { ...ref, description: 'the face' },
        target_video: { ...ref, description: 'the video to change' },
        face_enhance: { oneOf: [{ type: 'boolean' }, { type: 'object', additionalProperties: false, properties: {
          model: { type: 'string', enum: ['gfpgan-1.4', 'codeformer'] }, blend: { type: 'number', minimum: 0, maximum: 1 } } }], description: 'restore faces' },
        loras: { type: 'array', maxItems: 2, items: { type: 'object', additionalProperties: false, required: ['name'], properties: {
          name: { type: 'string', description: 'file name' }, weight: { type: 'number', minimum: -4, maximum: 4, description: 'strength' } } }, description: 'LoRAs' },
        hires: { type: 'object', additionalProperties: false, properties: { scale: { type: 'number', minimum: 1, maximum: 2, description: 'factor' } }, description: 'hires fix' },
        model: { type: 'string', description: 'the model' },
        keep: { oneOf: [{ type: 'string', enum: ['none', 'auto'] }, { type: 'array', minItems: 1, items: { type: 'string', enum: ['eyes', 'mouth'] } }], description: 'kept parts' },
      } };
      const form = buildTaskForm('probe', schema, { models: ['m1', 'm2'] });
      document.body.append(form.fieldset);
      const q = (id) => document.getElementById(id);
      const set = (id, v) => { q(id).value = v; };
      const reads = [];
      set('probe-source_image', 'https://example.test/a.png');
      reads.push(await form.read());
      set('probe-face_enhance-on', 'true');
      reads.push((await form.read()).face_enhance);
      set('probe-face_enhance-blend', '0.5');
      set('probe-face_enhance-model', 'codeformer');
      reads.push((await form.read()).face_enhance);
      set('probe-face_enhance-on', 'false');
      reads.push((await form.read()).face_enhance);
      for (let i = 0; i < 3; i++) q('probe-loras-add').click(); // maxItems 2
      const rows = document.querySelectorAll('#probe-loras > .rows > fieldset').length;
      set('probe-loras-1-name', 'style');
      set('probe-loras-1-weight', '0.8');
      set('probe-loras-2-name', 'detail');
      reads.push((await form.read()).loras);
      q('probe-loras-1').querySelector('button').click();
      reads.push((await form.read()).loras);
      set('probe-hires-scale', '1.5');
      reads.push((await form.read()).hires);
      const keepHint = q('probe-keep').placeholder;
      set('probe-keep', 'auto');
      reads.push((await form.read()).keep);
      set('probe-keep', 'eyes, mouth');
      reads.push((await form.read()).keep);
      set('probe-keep', '["mouth"]');
      reads.push((await form.read()).keep);
      return { reads, rows, keepHint,
        accept: [q('probe-source_image-file').accept, q('probe-target_video-file').accept],
        models: [...q('probe-model').options].map((o) => o.value),
        enhancers: [...q('probe-face_enhance-model').options].map((o) => o.value),
        weight: [q('probe-loras-2-weight').min, q('probe-loras-2-weight').max, q('probe-loras-2-name').required, q('probe-hires-scale').required],
        unlabeled: [...form.fieldset.querySelectorAll('input, select, textarea')].filter((e) => !e.labels.length).map((e) => e.id) };
    })()`)) as Record<string, unknown>;
    expect(out.reads).toEqual([
      { source_image: 'https://example.test/a.png' }, // empty fields, empty lists and objects are left out
      true,
      { model: 'codeformer', blend: 0.5 }, // settings imply yes
      false,
      [{ name: 'style', weight: 0.8 }, { name: 'detail' }],
      [{ name: 'detail' }],
      { scale: 1.5 },
      'auto', // a list of named choices: one of the words, comma-separated list words, or JSON
      ['eyes', 'mouth'],
      ['mouth'],
    ]);
    expect(out.keepHint).toBe('none | auto | eyes, mouth');
    expect(out.rows).toBe(2);
    expect(out.accept).toEqual(['image/*', 'video/*']);
    expect(out.models).toEqual(['', 'm1', 'm2']); // the task's installed models
    expect(out.enhancers).toEqual(['', 'gfpgan-1.4', 'codeformer']); // a nested model is its own enum
    expect(out.weight).toEqual(['-4', '4', true, false]);
    expect(out.unlabeled).toEqual([]);
    expect(errors).toEqual([]);
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
