/**
 * image_creation through the real service (HTTP, SQLite, worker threads) on the sd-turbo test
 * model: a completed task with its PNG and metadata, and a cancel mid-denoise that frees the
 * worker for the next task.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTextChunks } from '../../src/imaging/png-text.js';
import { getJson, postJson, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

describe('image_creation through the service', () => {
  it('/ready lists image_creation as available with the sd-turbo test model', async () => {
    const ready = await getJson(`${svc.url}/ready`);
    const types = ready.body.task_types as Record<string, { available: boolean }>;
    expect(types.image_creation.available).toBe(true);
  });

  it('completes: a PNG of the requested size, metadata in result and text chunks, progress 100%', async () => {
    const { status, body } = await submit(svc.url, 'image_creation', { prompt: 'a lighthouse at dusk', width: 256, height: 192, seed: 77 });
    expect(status).toBe(202);
    const done = await waitFor(svc.url, body.ticket_id as string);
    expect(done.status).toBe('Completed');
    expect(done.result).toMatchObject({ width: 256, height: 192, seed: 77, steps: 1, scheduler: 'euler', model: 'sd-turbo', content_type: 'image/png' });
    expect(Object.keys((done.result as { timings: object }).timings)).toEqual(expect.arrayContaining(['encode_ms', 'step_ms', 'decode_ms', 'total_ms']));
    expect(done.progress).toMatchObject({ step: 2, total: 2, percent: 100 });
    const res = await fetch(done.result_info as string);
    expect(res.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await res.arrayBuffer());
    const meta = await sharp(bytes).metadata();
    expect([meta.width, meta.height]).toEqual([256, 192]);
    expect(readTextChunks(bytes)).toMatchObject({ prompt: 'a lighthouse at dusk', seed: '77', model: 'sd-turbo', steps: '1' });

    // Same request, same bytes, through a worker thread too.
    const again = await waitFor(svc.url, (await submit(svc.url, 'image_creation', { prompt: 'a lighthouse at dusk', width: 256, height: 192, seed: 77 })).body.ticket_id as string);
    const bytes2 = Buffer.from(await (await fetch(again.result_info as string)).arrayBuffer());
    expect(bytes2.equals(bytes)).toBe(true);
  });

  it('cancel during the denoise loop stops the task and frees the worker for the next one', async () => {
    const { body } = await submit(svc.url, 'image_creation', { prompt: 'slow', width: 1024, height: 1024, steps: 100, seed: 1 });
    const ticket = body.ticket_id as string;
    const running = await waitFor(svc.url, ticket, (b) => b.status === 'In Progress' && ((b.progress as { step?: number } | null)?.step ?? 0) >= 2);
    const stepAtCancel = (running.progress as { step: number }).step;
    expect(stepAtCancel).toBeLessThan(100);
    const res = await postJson(`${svc.url}/cancel_task/${ticket}`, {});
    expect(res.status).toBe(200);
    expect((await getJson(`${svc.url}/query_task/${ticket}`)).body.status).toBe('Cancelled');
    // One worker: the next task can only finish once the cancelled one has let go of it.
    const t0 = Date.now();
    const next = await submit(svc.url, 'image_creation', { prompt: 'next', width: 64, height: 64, seed: 2 });
    const done = await waitFor(svc.url, next.body.ticket_id as string, undefined, 20_000);
    expect(done.status).toBe('Completed');
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect((await getJson(`${svc.url}/query_task/${ticket}`)).body.status).toBe('Cancelled');
  });
});
