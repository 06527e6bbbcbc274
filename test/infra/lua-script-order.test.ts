/**
 * Calls of one Lua script reach Redis in the order they were made, also the first ones while the
 * script is not yet in Redis's cache (progress events published out of order were the symptom).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { LuaScript } from '../../src/infra/redis/script.js';
import { REDIS_URL } from '../helpers/redis.js';

const redis = new Redis(REDIS_URL);
afterAll(() => redis.quit());

describe('LuaScript', () => {
  it('keeps the call order of concurrent first calls of a script Redis has never seen', async () => {
    for (let round = 0; round < 5; round++) {
      // A source nobody ran before: its first EVALSHA would answer NOSCRIPT.
      const script = new LuaScript(`-- ${randomUUID()}\nreturn redis.call('RPUSH', ARGV[1], ARGV[2])`);
      const key = `test:lua-order:${randomUUID()}`;
      const n = 200;
      // Calls spread over event-loop turns, as progress reports are: later ones leave while the
      // answers (and retries) of earlier ones are under way.
      const calls: Promise<unknown>[] = [];
      for (let i = 0; i < n; i++) {
        calls.push(script.run(redis, [key, String(i)]));
        if (i % 4 === 3) await new Promise((r) => setImmediate(r));
      }
      await Promise.all(calls);
      const order = (await redis.lrange(key, 0, -1)).map(Number);
      await redis.del(key);
      expect(order).toEqual(Array.from({ length: n }, (_, i) => i));
    }
  });
});
