/**
 * Cross-request batching's claim, one suite for both implementations: the in-memory FairQueue
 * (embedded: shift, then takeCompatible) and the Redis Lua claim (scale-out: claimBatches, one
 * atomic script). A batch is filled from the users the fair rotation serves next, never with one
 * user's tasks ahead of other users'; batch_size counts toward the limit; users passed over keep
 * their place.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { FairQueue } from '../../src/queue/fair-queue.js';
import { RedisTaskStore } from '../../src/store/redis-store.js';
import { TASK_TYPES } from '../../src/tasks/types.js';
import { newTask } from '../store/conformance.js';
import { REDIS_URL, dropPrefix, testPrefix } from '../helpers/redis.js';

interface BatchAdapter {
  /** `key` null: a task that never batches. */
  push(id: string, user: string, key: string | null, images?: number): Promise<void>;
  /** One slot's claim with batches of up to `max` images: the ids it runs, in claim order. */
  claim(max: number): Promise<string[]>;
}

const redis = new Redis(REDIS_URL);
const prefixes: string[] = [];
afterAll(async () => {
  for (const p of prefixes) await dropPrefix(redis, p);
  await redis.quit();
});

const adapters: Record<string, () => BatchAdapter> = {
  memory: () => {
    const q = new FairQueue();
    return {
      push: async (id, user, key, images = 1) => q.push(id, user, key ? { key, images } : null),
      claim: async (max) => {
        const lead = q.shift();
        if (!lead) return [];
        const more = lead.batch && max > lead.batch.images ? q.takeCompatible(lead.batch.key, max - lead.batch.images) : [];
        return [lead, ...more].map((e) => e.ticketId);
      },
    };
  },
  redis: () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const store = new RedisTaskStore(redis, prefix);
    return {
      push: async (id, user, key, images = 1) => {
        await store.create(newTask({ ticket_id: id, user_id: user, task_type: 'image_creation', params: { prompt: id }, batch_key: key, batch_images: images }));
      },
      claim: async (max) => {
        const [batch] = await store.claimBatches('w', new Date().toISOString(), TASK_TYPES, 1, max);
        const recs = batch ?? [];
        // Every member is In Progress on its own first attempt (crash recovery treats it as a single task).
        for (const r of recs) expect([r.status, r.attempts]).toEqual(['In Progress', 1]);
        return recs.map((r) => r.ticket_id);
      },
    };
  },
};

for (const [name, make] of Object.entries(adapters)) {
  describe(`batch claim (${name})`, () => {
    it('a batch of 2 holds A\'s next and B\'s only task, not two of A\'s; A\'s others follow', async () => {
      const q = make();
      for (let i = 1; i <= 5; i++) await q.push(`a${i}`, 'A', 'k');
      await q.push('b1', 'B', 'k');
      expect(await q.claim(2)).toEqual(['a1', 'b1']);
      expect(await q.claim(2)).toEqual(['a2', 'a3']);
      expect(await q.claim(1)).toEqual(['a4']);
    });

    it('matches what the rotation serves next: users without a compatible task keep their place', async () => {
      const q = make();
      await q.push('a1', 'A', 'k');
      await q.push('a2', 'A', 'k');
      await q.push('b1', 'B', 'other');
      await q.push('c1', 'C', 'k');
      await q.push('d1', 'D', null);
      // Rotation after a1: B (nothing compatible, passed over), C, D (never batches), A.
      expect(await q.claim(3)).toEqual(['a1', 'c1', 'a2']);
      // B was passed over, so B is served next, then D.
      expect(await q.claim(3)).toEqual(['b1']);
      expect(await q.claim(3)).toEqual(['d1']);
      expect(await q.claim(3)).toEqual([]);
    });

    it('counts batch_size toward the limit: a member that does not fit is left for a later claim', async () => {
      const q = make();
      await q.push('a1', 'A', 'k', 3);
      await q.push('a2', 'A', 'k', 1);
      await q.push('b1', 'B', 'k', 2);
      // a1 holds 3 of 4: b1 (2 images) does not fit; a2 (1) does.
      expect(await q.claim(4)).toEqual(['a1', 'a2']);
      expect(await q.claim(4)).toEqual(['b1']);
    });

    it('batches nothing with a limit of 1, and never mixes keys', async () => {
      const q = make();
      await q.push('a1', 'A', 'k');
      await q.push('b1', 'B', 'k');
      await q.push('c1', 'C', 'j');
      expect(await q.claim(1)).toEqual(['a1']);
      expect(await q.claim(4)).toEqual(['b1']);
      expect(await q.claim(4)).toEqual(['c1']);
    });
  });
}
