/**
 * background_removal through the real service (HTTP, SQLite, worker threads) with the real
 * selfie-segmentation model: Completed with a PNG of the input's size that has an alpha channel,
 * every output mode, cancel, and 400s for bad parameters with nothing queued.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTextChunks } from '../../src/imaging/png-text.js';
import { FIXTURES, fixtureImage, getJson, postJson, startFileServer, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { openSse } from '../helpers/sse.js';
import { readFileSync } from 'node:fs';
import { realModelsDir } from './support.js';

let svc: TestService;
let files: Awaited<ReturnType<typeof startFileServer>>;

beforeAll(async () => {
  svc = await startTestService({ BACKSERV_MODELS_DIR: realModelsDir() });
  files = await startFileServer(join(FIXTURES, 'images'));
});
afterAll(async () => {
  await svc?.close();
  await files?.close();
});

async function fetchResult(url: string) {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('image/png');
  const bytes = Buffer.from(await res.arrayBuffer());
  return { bytes, meta: await sharp(bytes).metadata() };
}

describe('background_removal end to end', () => {
  it('is listed as runnable by /ready with the selfie model installed', async () => {
    const types = (await getJson(`${svc.url}/ready`)).body.task_types as Record<string, { available: boolean }>;
    expect(types.background_removal.available).toBe(true);
  });

  it('Completed: a PNG with an alpha channel, the input\'s size, person kept and background cleared', async () => {
    const { status, body } = await submit(svc.url, 'background_removal', { image_url: `${files.url}/portrait_astronaut.jpg` });
    expect(status).toBe(202);
    const done = await waitFor(svc.url, body.ticket_id as string);
    expect(done.status).toBe('Completed');
    expect(done.error_info).toBeNull();
    expect(done.result).toMatchObject({ width: 512, height: 512, content_type: 'image/png', model: 'selfie-segmentation', output: 'rgba' });
    expect(done.progress).toMatchObject({ percent: 100 });
    const { bytes, meta } = await fetchResult(done.result_info as string);
    expect(meta).toMatchObject({ width: 512, height: 512, channels: 4, hasAlpha: true });
    expect(readTextChunks(bytes)).toMatchObject({ 'backserv:model': 'selfie-segmentation', 'backserv:output': 'rgba' });
    const alpha = await sharp(bytes).extractChannel(3).raw().toBuffer();
    // Top-right corner (shuttle model, wall) is background; the face (centre, upper third) is the person.
    expect(alpha[20 * 512 + 490]).toBeLessThan(20);
    expect(alpha[120 * 512 + 230]).toBeGreaterThan(235);
  });

  it('mask and composite outputs from a data: URI input, with a picture as the composite background', async () => {
    const dataUri = `data:image/png;base64,${readFileSync(fixtureImage('lowres_bryan.png')).toString('base64')}`;
    const mask = await submit(svc.url, 'background_removal', { image_url: dataUri, output: 'mask', feather: 1.5 });
    const comp = await submit(svc.url, 'background_removal', {
      image_url: dataUri, output: 'composite', background: `${files.url}/portrait_astronaut.jpg`, mask_threshold: 0.5,
    });
    const colour = await submit(svc.url, 'background_removal', { image_url: dataUri, output: 'composite', background: '#0000ff80' });
    for (const [res, channels] of [[mask, 1], [comp, 3], [colour, 4]] as const) {
      const done = await waitFor(svc.url, res.body.ticket_id as string);
      expect(done.status, JSON.stringify(done.error_info)).toBe('Completed');
      const { meta } = await fetchResult(done.result_info as string);
      expect(meta).toMatchObject({ width: 115, height: 115, channels });
    }
  });

  it('SSE /events: Queueing → In Progress → progress 1..3 of 3 → Completed, then the stream closes', async () => {
    svc.scheduler.pause();
    const { body } = await submit(svc.url, 'background_removal', { image_url: `${files.url}/lowres_bryan.png`, output: 'mask' });
    const stream = await openSse(`${svc.url}/events/${body.ticket_id}`);
    await stream.until(() => true);
    svc.scheduler.resume();
    await stream.closed;
    const statuses = stream.events.filter((e) => e.event === 'status').map((e) => (e.data as { status: string }).status);
    expect(statuses).toEqual(['Queueing', 'In Progress', 'Completed']);
    const steps = stream.events.filter((e) => e.event === 'progress').map((e) => (e.data as { step: number; total: number }));
    expect(steps.map((p) => p.total)).toEqual(steps.map(() => 3));
    expect(steps.at(-1)?.step).toBe(3);
    expect((stream.events.at(-1)?.data as { result_info: string }).result_info).toMatch(new RegExp(`/results/${body.ticket_id}\\.png$`));
  });

  it('cancel of a queued task → Cancelled, and it never runs', async () => {
    svc.scheduler.pause();
    try {
      const { body } = await submit(svc.url, 'background_removal', { image_url: `${files.url}/portrait_astronaut.jpg` });
      const res = await postJson(`${svc.url}/cancel_task/${body.ticket_id}`, {});
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'Cancelled' });
    } finally {
      svc.scheduler.resume();
    }
  });

  it('bad parameters → 400 with the field named; nothing queued', async () => {
    const before = (await getJson(`${svc.url}/ready`)).body.tasks as Record<string, number>;
    const img = `${files.url}/lowres_bryan.png`;
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{}, 'invalid_request', /image_url/],
      [{ image_url: img, output: 'png' }, 'invalid_request', /output/],
      [{ image_url: img, output: 'mask', background: '#00ff00' }, 'invalid_request', /background/],
      [{ image_url: img, output: 'composite', background: 'green' }, 'invalid_request', /background/],
      [{ image_url: img, mask_threshold: 1.5 }, 'invalid_request', /mask_threshold/],
      [{ image_url: img, feather: -1 }, 'invalid_request', /feather/],
      [{ image_url: img, alpha_matting: true }, 'invalid_request', /alpha_matting/],
      [{ image_url: 'data:image/png;base64,' }, 'invalid_image', /image_url/],
      [{ image_url: img, output: 'composite', background: 'data:image/png;base64,' }, 'invalid_image', /background/],
    ];
    for (const [params, code, field] of cases) {
      const res = await postJson(`${svc.url}/submit_task`, { task_type: 'background_removal', task_params: params, user_id: 'u' });
      expect(res.status, JSON.stringify(params)).toBe(400);
      expect(res.body.error, JSON.stringify(params)).toBe(code);
      expect(res.body.message, JSON.stringify(params)).toMatch(field);
    }
    const after = (await getJson(`${svc.url}/ready`)).body.tasks as Record<string, number>;
    expect(after).toEqual(before);
  });
});
