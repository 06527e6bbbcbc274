/**
 * API state shared by serve nodes through Redis: repeats of one submit (same Idempotency-Key)
 * sent at once to two nodes create one task and all get its ticket; a different body under the
 * key is 409; the per-user rate limit counts submits on every node together.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/infra/logging.js';
import { startScaleOutNode, type ScaleOutNode } from '../../src/scale-out/node.js';
import { REDIS_URL, dropPrefix, testPrefix } from '../helpers/redis.js';
import { testEnv } from '../helpers/service.js';

const prefix = testPrefix();
const nodes: ScaleOutNode[] = [];

beforeAll(async () => {
  for (const name of ['serve-a', 'serve-b']) {
    const config = loadConfig(testEnv({ BACKSERV_REDIS_URL: REDIS_URL, BACKSERV_REDIS_PREFIX: prefix, BACKSERV_SERV_NAME: name, BACKSERV_RATE_LIMIT_PER_MIN: '5' }));
    nodes.push(await startScaleOutNode(config, silentLogger(), 'serve'));
  }
});
afterAll(async () => {
  for (const n of nodes) await n.close();
  const redis = new Redis(REDIS_URL);
  await dropPrefix(redis, prefix);
  await redis.quit();
});

function post(url: string, key: string, scale: number) {
  return fetch(`${url}/submit_task`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ task_type: 'image_upscale', task_params: { image_url: 'https://example.com/a.png', scale_factor: scale }, user_id: 'idem' }),
  });
}

describe('Idempotency-Key in scale-out', () => {
  it('gives every concurrent repeat on any node the same single ticket', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => post(nodes[i % 2].url!, 'k-1', 2)));
    const bodies = await Promise.all(answers.map(async (r) => ({ status: r.status, body: (await r.json()) as { ticket_id: string } })));
    for (const b of bodies) expect(b.status).toBe(202);
    expect(new Set(bodies.map((b) => b.body.ticket_id)).size).toBe(1);
    const counts = (await (await fetch(`${nodes[0].url}/ready`)).json()) as { tasks: Record<string, number> };
    expect(counts.tasks.Queueing + counts.tasks['In Progress'] + counts.tasks.Failed + counts.tasks.Completed).toBe(1);
    const reused = await post(nodes[1].url!, 'k-1', 3);
    expect(reused.status).toBe(409);
    expect(((await reused.json()) as { error: string }).error).toBe('idempotency_key_reused');
  });

  it('rate-limits a user across nodes together, not per node', async () => {
    const answers = [];
    for (let i = 0; i < 7; i++) {
      const r = await fetch(`${nodes[i % 2].url}/submit_task`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ task_type: 'image_upscale', task_params: { image_url: 'https://example.com/a.png' }, user_id: 'burst' }),
      });
      answers.push({ status: r.status, retry: r.headers.get('retry-after'), body: (await r.json()) as { error?: string } });
    }
    expect(answers.slice(0, 5).map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
    for (const a of answers.slice(5)) {
      expect(a.status).toBe(429);
      expect(a.body.error).toBe('rate_limited');
      expect(Number(a.retry)).toBeGreaterThanOrEqual(1);
    }
  });
});
