/**
 * The API backends of a serve node: Idempotency-Keys, rate-limit buckets and webhook deliveries
 * in Redis, so a retry that reaches another node, or a delivery left by a node that died, is
 * seen by every node. The node's own connection is used, not a new one: a fresh connection is
 * not ready for the first requests, and without an offline queue those would fail.
 */
import type { ApiBackends } from '../api/backends.js';
import { RedisIdempotencyStore } from '../api/idempotency-redis.js';
import { RedisRateLimiter } from '../api/rate-limit-redis.js';
import type { Config } from '../config/config.js';
import type { RedisClient } from '../infra/redis/connection.js';
import { RedisWebhookStore } from '../webhooks/webhook-store-redis.js';

export function redisApiBackends(config: Config, redis: RedisClient): ApiBackends {
  return {
    idempotency: new RedisIdempotencyStore(redis, config.redisPrefix, config.api.idempotencyTtlS * 1000),
    limiter: new RedisRateLimiter(redis, config.redisPrefix, config.api.rateLimitPerMin),
    webhooks: config.api.webhookSecret ? new RedisWebhookStore(redis, config.redisPrefix) : null,
  };
}
