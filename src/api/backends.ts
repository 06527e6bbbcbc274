/**
 * The state the HTTP layer keeps beside the task store: Idempotency-Keys, rate-limit buckets and
 * webhook deliveries. The composition root chooses the implementations (SQLite for one process,
 * Redis when several serve nodes must share them) and hands them to createApp, which owns their
 * shutdown from then on.
 */
import type { WebhookBackend } from '../webhooks/webhook-backend.js';
import type { IdempotencyBackend } from './idempotency-store.js';
import type { SubmitLimiter } from './rate-limit.js';

export interface ApiBackends {
  idempotency: IdempotencyBackend;
  limiter: SubmitLimiter;
  /** null when webhooks are off (no BACKSERV_WEBHOOK_SECRET): callback_url is then refused. */
  webhooks: WebhookBackend | null;
}
