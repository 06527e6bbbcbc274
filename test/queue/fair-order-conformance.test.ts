/**
 * One fair-order suite, two implementations: the in-memory FairQueue (embedded) and the Redis
 * lanes + ring maintained by RedisTaskStore's scripts (scale-out). Same operations, same order.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { FairQueue } from '../../src/queue/fair-queue.js';
import { RedisTaskStore } from '../../src/store/redis-store.js';
import { newTask } from '../store/conformance.js';
import { claimOne } from '../helpers/claim-one.js';
import { REDIS_URL, dropPrefix, testPrefix } from '../helpers/redis.js';

interface OrderAdapter {
  push(id: string, user: string): Promise<void>;
  claim(): Promise<string | null>;
  remove(id: string): Promise<boolean>;
  position(id: string): Promise<number | null>;
}

const redis = new Redis(REDIS_URL);
const prefixes: string[] = [];
afterAll(async () => {
  for (const p of prefixes) await dropPrefix(redis, p);
  await redis.quit();
});

const adapters: Record<string, () => OrderAdapter> = {
  memory: () => {
    const q = new FairQueue();
    return {
      push: async (id, user) => q.push(id, user),
      claim: async () => q.shift()?.ticketId ?? null,
      remove: async (id) => q.remove(id),
      position: async (id) => q.position(id),
    };
  },
  // The typed claim, with every type runnable (a worker that has all models).
  redis: () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const store = new RedisTaskStore(redis, prefix);
    return {
      push: async (id, user) => void (await store.create(newTask({ ticket_id: id, user_id: user }))),
      claim: async () => (await claimOne(store))?.ticket_id ?? null,
      remove: async (id) => (await store.cancel(id, 'T')) === 'Queueing',
      position: (id) => store.queuePosition(id),
    };
  },
};

for (const [name, make] of Object.entries(adapters)) {
  describe(`fair order conformance: ${name}`, () => {
    it('serves users in rotation, each FIFO; a newcomer waits at most one turn', async () => {
      const q = make();
      for (let i = 0; i < 50; i++) await q.push(`a${i}`, 'a');
      expect(await q.claim()).toBe('a0');
      await q.push('b0', 'b');
      await q.push('b1', 'b');
      await q.push('c0', 'c');
      expect(await q.position('b0')).toBe(1);
      const order = [];
      for (let i = 0; i < 6; i++) order.push(await q.claim());
      expect(order).toEqual(['a1', 'b0', 'c0', 'a2', 'b1', 'a3']);
    });

    it('position() predicts the claim order under random pushes, removes and claims', async () => {
      for (let round = 0; round < 8; round++) {
        const q = make();
        const live: string[] = [];
        for (let op = 0; op < 60; op++) {
          const r = Math.random();
          if (r < 0.6) {
            const id = randomUUID();
            await q.push(id, `u${Math.floor(Math.random() * 4)}`);
            live.push(id);
          } else if (r < 0.75 && live.length) {
            const id = live.splice(Math.floor(Math.random() * live.length), 1)[0];
            expect(await q.remove(id)).toBe(true);
          } else {
            const id = await q.claim();
            if (id) live.splice(live.indexOf(id), 1);
          }
        }
        const predicted = new Map<string, number | null>();
        for (const id of live) predicted.set(id, await q.position(id));
        for (let i = 0; i < live.length; i++) {
          const id = await q.claim();
          expect(predicted.get(id!)).toBe(i);
        }
        expect(await q.claim()).toBeNull();
      }
    });
  });
}
