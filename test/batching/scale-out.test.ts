/**
 * Cross-request batching in scale-out: a serve node and a worker node as real processes over the
 * real Redis; the worker's Lua claim takes a compatible set atomically in fair order (see suite.ts).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe } from 'vitest';
import { startNode, type Child } from '../helpers/child.js';
import { REDIS_URL, dropPrefix, testPrefix } from '../helpers/redis.js';
import { testEnv } from '../helpers/service.js';
import { batchingSuite } from './suite.js';

const prefix = testPrefix();
const children: Child[] = [];
let serve: Child;

beforeAll(async () => {
  const env = testEnv({ BACKSERV_REDIS_URL: REDIS_URL, BACKSERV_REDIS_PREFIX: prefix, BACKSERV_MAX_BATCH: '4' });
  serve = await startNode('serve', { ...env, BACKSERV_SERV_NAME: 'serve-b' });
  children.push(serve);
  children.push(await startNode('worker', { ...env, BACKSERV_SERV_NAME: 'worker-b' }));
});

afterAll(async () => {
  for (const c of children) c.proc.kill('SIGKILL');
  const redis = new Redis(REDIS_URL);
  await dropPrefix(redis, prefix);
  await redis.quit();
});

describe('cross-request batching (scale-out, Redis)', () => {
  batchingSuite({ url: () => serve.url! });
});
