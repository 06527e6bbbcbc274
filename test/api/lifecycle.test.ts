/**
 * The behaviour clients of the seed API rely on, end to end through real HTTP, real SQLite,
 * real worker threads and the signature-exact Real-ESRGAN test model.
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTextChunks } from '../../src/imaging/png-text.js';
import { FIXTURES, getJson, postJson, startFileServer, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { join } from 'node:path';

let svc: TestService;
let files: Awaited<ReturnType<typeof startFileServer>>;

beforeAll(async () => {
  svc = await startTestService();
  files = await startFileServer(join(FIXTURES, 'images'));
});
afterAll(async () => {
  await svc?.close();
  await files?.close();
});

async function fetchPng(url: string) {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('image/png');
  const bytes = Buffer.from(await res.arrayBuffer());
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  return { bytes, data, info };
}

describe('seed API behaviour', () => {
  it('submit → 202 with ticket_id, serv_name and status Queueing', async () => {
    const res = await submit(svc.url, 'image_upscale', { image_url: `${files.url}/lowres_bryan.png` });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'Queueing', serv_name: 'test-node' });
    expect(typeof res.body.ticket_id).toBe('string');
    await waitFor(svc.url, res.body.ticket_id as string);
  });

  it('query → 200 with all five seed fields; unknown ticket → 404 not_found', async () => {
    const { body } = await submit(svc.url, 'image_upscale', { image_url: `${files.url}/lowres_bryan.png` });
    const q = await getJson(`${svc.url}/query_task/${body.ticket_id}`);
    expect(q.status).toBe(200);
    for (const k of ['status', 'result_info', 'error_info', 'started_at', 'completed_at']) expect(q.body).toHaveProperty(k);
    expect(['Queueing', 'In Progress', 'Completed']).toContain(q.body.status);
    const missing = await getJson(`${svc.url}/query_task/does-not-exist`);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('not_found');
    await waitFor(svc.url, body.ticket_id as string);
  });

  it('invalid task_type → 400 unknown_task_type; missing task_params → 400 invalid_request; nothing queued', async () => {
    const before = (await getJson(`${svc.url}/ready`)).body.tasks as Record<string, number>;
    const bad = await postJson(`${svc.url}/submit_task`, { task_type: 'make_coffee', task_params: {}, user_id: 'u' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('unknown_task_type');
    const missing = await postJson(`${svc.url}/submit_task`, { task_type: 'image_upscale', user_id: 'u' });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: 'invalid_request' });
    expect(missing.body.message).toMatch(/task_params/);
    const after = (await getJson(`${svc.url}/ready`)).body.tasks as Record<string, number>;
    expect(after).toEqual(before);
  });

  it('cancel of a queued task → 200 Cancelled; again → 409 conflict; unknown → 404', async () => {
    svc.scheduler.pause(); // hold the queue so the task stays Queueing
    try {
      const { body } = await submit(svc.url, 'image_upscale', { image_url: `${files.url}/lowres_bryan.png` });
      const res = await postJson(`${svc.url}/cancel_task/${body.ticket_id}`, {});
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'Cancelled', message: 'Task successfully cancelled' });
      const q = await getJson(`${svc.url}/query_task/${body.ticket_id}`);
      expect(q.body.status).toBe('Cancelled');
      expect(q.body.completed_at).not.toBeNull();
      const again = await postJson(`${svc.url}/cancel_task/${body.ticket_id}`, {});
      expect(again.status).toBe(409);
      expect(again.body.error).toBe('conflict');
      const unknown = await postJson(`${svc.url}/cancel_task/nope`, {});
      expect(unknown.status).toBe(404);
    } finally {
      svc.scheduler.resume();
    }
  });
});

describe('image_upscale end to end', () => {
  it('completes with result_info pointing at a PNG 4× the input, with timestamps in order', async () => {
    const { body } = await submit(svc.url, 'image_upscale', { image_url: `${files.url}/portrait_astronaut.jpg` });
    const done = await waitFor(svc.url, body.ticket_id as string);
    expect(done.status).toBe('Completed');
    expect(done.error_info).toBeNull();
    expect(Date.parse(done.started_at as string)).toBeLessThanOrEqual(Date.parse(done.completed_at as string));
    expect(done.result_info).toMatch(new RegExp(`^${svc.url}/results/.+\\.png$`));
    const png = await fetchPng(done.result_info as string);
    expect(png.info).toMatchObject({ width: 2048, height: 2048, channels: 3 });
    expect(done.result).toMatchObject({ width: 2048, height: 2048, content_type: 'image/png', scale_factor: 4, model: 'realesrgan-x4plus' });
    expect(done.progress).toMatchObject({ percent: 100 });
    expect(readTextChunks(png.bytes)).toMatchObject({ 'backserv:model': 'realesrgan-x4plus', 'backserv:scale_factor': '4' });
    // The upscale resembles the input: downscaled back, it is close to the original.
    const orig = await sharp(readFileSync(join(FIXTURES, 'images', 'portrait_astronaut.jpg'))).raw().toBuffer();
    const back = await sharp(png.bytes).resize(512, 512, { kernel: 'cubic' }).raw().toBuffer();
    let diff = 0;
    for (let i = 0; i < orig.length; i++) diff += Math.abs(orig[i] - back[i]);
    expect(diff / orig.length).toBeLessThan(6);
  });

  it('honours scale_factor 2 and 3, and keeps an alpha channel (upscaled separately)', async () => {
    for (const scale of [2, 3]) {
      const { body } = await submit(svc.url, 'image_upscale', { image_url: `${files.url}/lowres_bryan.png`, scale_factor: scale });
      const done = await waitFor(svc.url, body.ticket_id as string);
      expect(done.status).toBe('Completed');
      const png = await fetchPng(done.result_info as string);
      expect(png.info).toMatchObject({ width: 115 * scale, height: 115 * scale, channels: 4 });
      const alpha = await sharp(join(FIXTURES, 'images', 'lowres_bryan.png')).extractChannel(3).raw().toBuffer();
      const upAlpha = await sharp(png.bytes).extractChannel(3).resize(115, 115, { kernel: 'cubic' }).raw().toBuffer();
      let diff = 0;
      for (let i = 0; i < alpha.length; i++) diff += Math.abs(alpha[i] - upAlpha[i]);
      expect(diff / alpha.length).toBeLessThan(8);
    }
  });

  it('accepts a data: URI and serves the result with the right content type', async () => {
    const b64 = readFileSync(join(FIXTURES, 'images', 'lowres_bryan.png')).toString('base64');
    const { status, body } = await submit(svc.url, 'image_upscale', { image_url: `data:image/png;base64,${b64}` });
    expect(status).toBe(202);
    const done = await waitFor(svc.url, body.ticket_id as string);
    expect(done.status).toBe('Completed');
    const png = await fetchPng(done.result_info as string);
    expect(png.info.width).toBe(460);
  });

  it('fails (not crashes) on an image URL that does not decode, naming the field', async () => {
    const { body } = await submit(svc.url, 'image_upscale', { image_url: `${files.url}/missing.png` });
    const done = await waitFor(svc.url, body.ticket_id as string);
    expect(done.status).toBe('Failed');
    expect(done.error_info).toMatch(/image_url/);
    expect(done.result_info).toBeNull();
  });

  it('/health and /ready report the service state', async () => {
    expect((await getJson(`${svc.url}/health`)).body).toEqual({ status: 'ok' });
    const ready = await getJson(`${svc.url}/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', device: 'cpu' });
    const types = ready.body.task_types as Record<string, { available: boolean }>;
    expect(types.image_upscale.available).toBe(true);
  });
});
