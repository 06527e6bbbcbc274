/** The API backends of one process: Idempotency-Keys and webhook deliveries in a SQLite file, buckets in memory. */
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { WebhookStore } from '../webhooks/webhook-store.js';
import type { ApiBackends } from './backends.js';
import { IdempotencyStore } from './idempotency-store.js';
import { RateLimiter } from './rate-limit.js';

export function sqliteApiBackends(config: Config): ApiBackends {
  const file = join(config.dataDir, 'backserv-api.sqlite');
  return {
    // Read from the task store's file: the store writes each key with its task, in one transaction.
    idempotency: new IdempotencyStore(join(config.dataDir, 'backserv.sqlite'), config.api.idempotencyTtlS * 1000),
    limiter: new RateLimiter(config.api.rateLimitPerMin),
    webhooks: config.api.webhookSecret ? new WebhookStore(file) : null,
  };
}
