/**
 * Retention in scale-out: every serve node sweeps the shared store and results folder, and the
 * sweeps are safe together. Two nodes (one 'all', one 'serve') over one Redis prefix and one data
 * dir, BACKSERV_TASK_TTL_S=1: a finished task disappears (404 on both nodes) with its file,
 * deleted exactly once between them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/infra/logging.js';
import { startScaleOutNode, type ScaleOutNode } from '../../src/scale-out/node.js';
import { REDIS_URL, dropPrefix, testPrefix } from '../helpers/redis.js';
import { fixtureImage, getJson, submit, waitFor } from '../helpers/http.js';
import { testEnv } from '../helpers/service.js';

const prefix = testPrefix();
let all: ScaleOutNode;
let serve: ScaleOutNode;
let dataDir: string;

beforeAll(async () => {
  const base = testEnv({ BACKSERV_REDIS_URL: REDIS_URL, BACKSERV_REDIS_PREFIX: prefix, BACKSERV_TASK_TTL_S: '1', BACKSERV_RETENTION_SWEEP_MS: '150' });
  dataDir = base.BACKSERV_DATA_DIR;
  all = await startScaleOutNode(loadConfig({ ...base, BACKSERV_SERV_NAME: 'node-all' }), silentLogger(), 'all');
  serve = await startScaleOutNode(loadConfig({ ...base, BACKSERV_SERV_NAME: 'node-serve' }), silentLogger(), 'serve');
});
afterAll(async () => {
  await serve?.close();
  await all?.close();
  const redis = new Redis(REDIS_URL);
  await dropPrefix(redis, prefix);
  await redis.quit();
});

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}

describe('retention in scale-out', () => {
  it('deletes an expired finished task once, with its file, while both serve nodes sweep', async () => {
    const image = `data:image/png;base64,${readFileSync(fixtureImage('lowres_bryan.png')).toString('base64')}`;
    const { body } = await submit(serve.url!, 'image_upscale', { image_url: image, scale_factor: 2 });
    const id = body.ticket_id as string;
    expect((await waitFor(serve.url!, id)).status).toBe('Completed');
    expect(readdirSync(join(dataDir, 'results'))).toContain(`${id}.png`);

    const deadline = Date.now() + 15_000;
    while ((await getJson(`${serve.url}/query_task/${id}`)).status !== 404) {
      if (Date.now() > deadline) throw new Error('the task was not deleted');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await getJson(`${all.url}/query_task/${id}`)).body).toMatchObject({ error: 'not_found' });
    expect(readdirSync(join(dataDir, 'results'))).not.toContain(`${id}.png`);
    const deleted = (await metric(all.url!, 'backserv_tasks_deleted_total')) + (await metric(serve.url!, 'backserv_tasks_deleted_total'));
    expect(deleted).toBe(1);
    const redis = new Redis(REDIS_URL);
    try {
      expect(await redis.exists(`${prefix}t:${id}`)).toBe(0);
      expect(await redis.zcard(`${prefix}finished`)).toBe(0);
      expect(Number(await redis.hget(`${prefix}counts`, 'Completed'))).toBe(0);
    } finally {
      await redis.quit();
    }
  });
});
