/**
 * The Idempotency-Key record is written by the task store in the same commit as the task: it is
 * there exactly when the task is (SQLite transaction; Redis create script), and a refused create
 * leaves no key behind.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IdempotencyStore } from '../../src/api/idempotency-store.js';
import { RedisIdempotencyStore } from '../../src/api/idempotency-redis.js';
import { RedisTaskStore } from '../../src/store/redis-store.js';
import { SqliteTaskStore } from '../../src/store/sqlite-store.js';
import { newTask } from '../store/conformance.js';
import { Redis } from 'ioredis';
import { dropPrefix, REDIS_URL, testPrefix } from '../helpers/redis.js';

const claim = (key: string) => ({ key, fingerprint: `fp-${key}`, ttlMs: 60_000 });

describe('Idempotency-Key committed with its task', () => {
  it('SQLite: the key is readable right after create, with the 202 body; a failed insert writes none', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'backserv-idem-')), 'backserv.sqlite');
    const store = new SqliteTaskStore(file);
    const keys = new IdempotencyStore(file, 60_000);
    const t = newTask({ idempotency: claim('k1') });
    const rec = await store.create(t);
    expect(await keys.get(t.user_id, 'k1')).toMatchObject({ fingerprint: 'fp-k1', status: 202, body: { ticket_id: rec.ticket_id, serv_name: rec.serv_name, status: 'Queueing' } });
    // The same ticket again violates the task table's uniqueness: the whole transaction rolls back.
    await expect(store.create({ ...t, idempotency: claim('k2') })).rejects.toThrow();
    expect(await keys.get(t.user_id, 'k2')).toBeNull();
    await keys.close();
    await store.close();
  });

  describe('Redis', () => {
    const redis = new Redis(REDIS_URL);
    const prefix = testPrefix();
    afterAll(async () => {
      await dropPrefix(redis, prefix);
      redis.disconnect();
    });

    it('the create script writes the key with the task; a queue-full refusal writes none', async () => {
      const store = new RedisTaskStore(redis, prefix, 30_000);
      const keys = new RedisIdempotencyStore(redis, prefix, 60_000);
      const t = newTask({ idempotency: claim('r1') });
      const out = await store.createQueued(t, 1, 1);
      expect(out.ok).toBe(true);
      expect(await keys.get(t.user_id, 'r1')).toMatchObject({ fingerprint: 'fp-r1', status: 202, body: { ticket_id: t.ticket_id, serv_name: t.serv_name, status: 'Queueing' } });
      const refused = await store.createQueued(newTask({ user_id: t.user_id, idempotency: claim('r2') }), 1, 1);
      expect(refused.ok).toBe(false);
      expect(await keys.get(t.user_id, 'r2')).toBeNull();
    });
  });
});
