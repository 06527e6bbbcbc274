/**
 * Workers with different models (each GPU host installs its own): a worker claims only the task
 * types it has models for, the serve node (no models of its own) accepts what the live workers
 * can run, and answers 503 model_unavailable for what none can. Real processes, real Redis.
 */
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kill9, startNode, type Child } from '../helpers/child.js';
import { FIXTURES, getJson, postJson, waitFor } from '../helpers/http.js';
import { REDIS_URL, dropPrefix, testPrefix } from '../helpers/redis.js';
import { openSse } from '../helpers/sse.js';
import { testEnv } from '../helpers/service.js';

const prefix = testPrefix();
const image = `data:image/png;base64,${readFileSync(join(FIXTURES, 'images', 'lowres_bryan.png')).toString('base64')}`;
const children: Child[] = [];
let serve: Child;

/** A models folder holding only `ids` (links into the test models). */
function modelsWith(...ids: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'backserv-models-'));
  for (const id of ids) symlinkSync(join(inject('testModelsDir'), id), join(dir, id), 'dir');
  return dir;
}

beforeAll(async () => {
  const env = (name: string, modelsDir: string) => ({
    ...testEnv({ BACKSERV_REDIS_URL: REDIS_URL, BACKSERV_REDIS_PREFIX: prefix }), BACKSERV_SERV_NAME: name, BACKSERV_MODELS_DIR: modelsDir,
  });
  children.push(...(await Promise.all([
    startNode('worker', env('worker-up', modelsWith('realesrgan-x4plus'))),
    startNode('worker', env('worker-sd', modelsWith('sd-turbo'))),
  ])));
  serve = await startNode('serve', env('serve-1', modelsWith()));
  children.push(serve);
}, 60_000);
afterAll(async () => {
  for (const c of children) await kill9(c);
  const redis = new Redis(REDIS_URL);
  await dropPrefix(redis, prefix);
  await redis.quit();
});

describe('workers with different models', () => {
  it('/ready shows what each worker can run and what the fleet accepts', async () => {
    const { status, body } = await getJson(`${serve.url}/ready`);
    expect(status).toBe(200);
    const workers = Object.fromEntries((body.workers as { name: string; task_types: string[]; models: Record<string, string[]> }[]).map((w) => [w.name, w]));
    expect(workers['worker-up'].task_types).toEqual(['image_upscale']);
    expect(workers['worker-up'].models).toEqual({ image_upscale: ['realesrgan-x4plus'] });
    expect(workers['worker-sd'].task_types.sort()).toEqual(['image_creation', 'video_creation']);
    const types = body.task_types as Record<string, { available: boolean; install: string | null }>;
    expect(types.image_upscale.available).toBe(true);
    expect(types.image_creation.available).toBe(true);
    expect(types.face_swap.available).toBe(false);
    // face_swap's one missing piece is FaceMesh (inswapper/ArcFace are optional since the mesh engine).
    expect(types.face_swap.install).toBe('npx backserv models convert facemesh (on a worker host)');
  });

  it('each task runs on a worker that has its model; none is claimed by the other', async () => {
    const tickets: { id: string; type: string }[] = [];
    for (let i = 0; i < 4; i++) {
      const user = `user-${i % 2}`;
      const up = await postJson(`${serve.url}/submit_task`, { task_type: 'image_upscale', task_params: { image_url: image, scale_factor: 2 }, user_id: user });
      const sd = await postJson(`${serve.url}/submit_task`, { task_type: 'image_creation', task_params: { prompt: `a red bicycle ${i}`, width: 128, height: 128, steps: 1 }, user_id: user });
      expect([up.status, sd.status]).toEqual([202, 202]);
      tickets.push({ id: up.body.ticket_id as string, type: 'image_upscale' }, { id: sd.body.ticket_id as string, type: 'image_creation' });
    }
    for (const t of tickets) {
      const view = await waitFor(serve.url!, t.id);
      expect(view.status, `${t.type} ${t.id}: ${JSON.stringify(view.result_info ?? null)}`).toBe('Completed');
      expect(view.serv_name).toBe(t.type === 'image_upscale' ? 'worker-up' : 'worker-sd');
    }
  }, 60_000);

  it('a type no live worker can run is 503 model_unavailable; a model no worker holds is 400', async () => {
    const swap = await postJson(`${serve.url}/submit_task`, { task_type: 'face_swap', task_params: { source_image: image, target_image: image }, user_id: 'x' });
    expect(swap.status).toBe(503);
    expect(swap.body).toMatchObject({ error: 'model_unavailable' });
    expect(String(swap.body.message)).toMatch(/on a worker host/);
    const ok = await postJson(`${serve.url}/submit_task`, { task_type: 'image_creation', task_params: { prompt: 'a cat', model: 'sd-turbo', width: 128, height: 128, steps: 1 }, user_id: 'x' });
    expect(ok.status).toBe(202);
    const missing = await postJson(`${serve.url}/submit_task`, { task_type: 'image_creation', task_params: { prompt: 'a cat', model: 'sd15' }, user_id: 'x' });
    expect(missing.status).toBe(400);
    expect(String(missing.body.message)).toMatch(/sd15 is not an installed model/);
  });

  it('/events on the serve node streams the progress reported by the worker', async () => {
    const sub = await postJson(`${serve.url}/submit_task`, { task_type: 'image_creation', task_params: { prompt: 'a lighthouse', width: 1024, height: 1024, steps: 100 }, user_id: 'watcher' });
    expect(sub.status).toBe(202);
    const sse = await openSse(`${serve.url}/events/${sub.body.ticket_id as string}`);
    try {
      const final = await sse.until((e) => e.event === 'status' && (e.data as { status: string }).status === 'Completed', 60_000);
      const progress = sse.events.filter((e) => e.event === 'progress').map((e) => e.data as { step: number; total: number });
      expect(progress.length).toBeGreaterThanOrEqual(1);
      for (const p of progress) expect(p.total).toBeGreaterThanOrEqual(100);
      const steps = progress.map((p) => p.step);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
      expect(sse.events.indexOf(final)).toBe(sse.events.length - 1); // progress came before the end
    } finally {
      sse.abort();
    }
  }, 90_000);
});
