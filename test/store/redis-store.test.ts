import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { RedisTaskStore } from '../../src/store/redis-store.js';
import { taskStoreConformance } from './conformance.js';
import { REDIS_URL, dropPrefix, testPrefix } from '../helpers/redis.js';

const prefixes: string[] = [];

taskStoreConformance('redis', async () => {
  const prefix = testPrefix();
  prefixes.push(prefix);
  const open = () => new RedisTaskStore(new Redis(REDIS_URL), prefix, 30_000, true);
  let current = open();
  return {
    store: current,
    async reopen() {
      await current.close();
      current = open();
      return current;
    },
  };
});

afterAll(async () => {
  const redis = new Redis(REDIS_URL);
  for (const p of prefixes) await dropPrefix(redis, p);
  await redis.quit();
});
