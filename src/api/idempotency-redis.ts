/**
 * Idempotency-Key records in Redis, shared by every serve node: a repeat that reaches another
 * node behind the load balancer still gets the first ticket. The task store's create script
 * writes each record with its task; records expire with the window (PX), and a short-lived NX
 * reservation stops two concurrent repeats from both submitting.
 */
import { idempotencyRedisKey } from '../store/idempotency-record.js';
import type { IdempotencyBackend, IdempotentResponse } from './idempotency-store.js';
import type { RedisClient } from '../infra/redis/connection.js';
import { guardRedis } from '../infra/redis/guard.js';

/** Longest a first request may hold the reservation (a submit takes milliseconds). */
const CLAIM_MS = 30_000;

export class RedisIdempotencyStore implements IdempotencyBackend {
  constructor(private readonly redis: RedisClient, private readonly prefix: string, readonly ttlMs: number) {}

  private key(userId: string, key: string, kind: 'rec' | 'claim'): string {
    return idempotencyRedisKey(this.prefix, userId, key, kind);
  }

  async get(userId: string, key: string): Promise<IdempotentResponse | null> {
    const raw = await guardRedis(this.redis.get(this.key(userId, key, 'rec')));
    return raw ? (JSON.parse(raw) as IdempotentResponse) : null;
  }

  async claim(userId: string, key: string): Promise<boolean> {
    return (await guardRedis(this.redis.set(this.key(userId, key, 'claim'), '1', 'PX', CLAIM_MS, 'NX'))) === 'OK';
  }

  async release(userId: string, key: string): Promise<void> {
    await guardRedis(this.redis.del(this.key(userId, key, 'claim')));
  }

  async close(): Promise<void> {
    // The connection belongs to the caller.
  }
}
