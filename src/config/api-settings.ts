/**
 * Settings of the operator-facing extensions (API keys, rate limit, webhooks, idempotency,
 * SSE). Parsed here so config.ts only gains one field; a malformed value stops the service
 * with a message naming the variable, like the rest of the configuration.
 */
import { envInt, type Env } from './env-int.js';

export interface ApiExtrasConfig {
  /** API key → user_id; empty = no authentication (the seed behaviour). */
  apiKeys: ReadonlyMap<string, string>;
  /** Operator keys for model management (/models install and delete); empty = those routes answer 403. */
  adminKeys: readonly string[];
  /** Submits per user per minute (token bucket); 0 = unlimited. */
  rateLimitPerMin: number;
  /** HMAC key for webhook signatures; null = callback_url is refused. */
  webhookSecret: string | null;
  webhookMaxAttempts: number;
  /** First retry delay; doubles per attempt up to webhookMaxBackoffMs. */
  webhookBackoffMs: number;
  webhookMaxBackoffMs: number;
  webhookTimeoutMs: number;
  /** Least time between two "progress" webhooks of one task. */
  webhookProgressMs: number;
  /** How often each node looks for due deliveries (after a restart, or left by a node that died). */
  webhookPollMs: number;
  /** How long an Idempotency-Key keeps returning the same ticket. */
  idempotencyTtlS: number;
  /** Comment lines on idle SSE streams so proxies do not cut them. */
  sseHeartbeatMs: number;
}

/** `key1:alice,key2:bob`; a key may not contain ':' or ','; one key maps to one user. */
export function parseApiKeys(raw: string | undefined): Map<string, string> {
  const keys = new Map<string, string>();
  for (const entry of (raw ?? '').split(',')) {
    const e = entry.trim();
    if (e === '') continue;
    const i = e.lastIndexOf(':');
    const key = i > 0 ? e.slice(0, i).trim() : '';
    const user = i > 0 ? e.slice(i + 1).trim() : '';
    if (key.length < 8 || user === '' || !/^[\x21-\x7e]+$/.test(key) || !/^[\x21-\x7e]+$/.test(user)) {
      throw new TypeError('BACKSERV_API_KEYS must be "key:user_id,key:user_id" with keys of at least 8 printable characters');
    }
    if (keys.has(key)) throw new TypeError('BACKSERV_API_KEYS lists the same key twice');
    keys.set(key, user);
  }
  return keys;
}

/**
 * `key1,key2`: operator keys, kept apart from user keys so that a user key can never manage
 * models, and an admin key is never mistaken for a user.
 */
export function parseAdminKeys(raw: string | undefined, userKeys: ReadonlyMap<string, string>): string[] {
  const keys: string[] = [];
  for (const entry of (raw ?? '').split(',')) {
    const key = entry.trim();
    if (key === '') continue;
    if (key.length < 16 || !/^[\x21-\x7e]+$/.test(key)) {
      throw new TypeError('BACKSERV_ADMIN_KEYS must be "key,key" with keys of at least 16 printable characters (no commas)');
    }
    if (userKeys.has(key)) throw new TypeError('BACKSERV_ADMIN_KEYS lists a key that is also in BACKSERV_API_KEYS; admin keys must differ from user keys');
    if (!keys.includes(key)) keys.push(key);
  }
  return keys;
}

export function loadApiExtrasConfig(env: Env): ApiExtrasConfig {
  const apiKeys = parseApiKeys(env.BACKSERV_API_KEYS);
  return {
    apiKeys,
    adminKeys: parseAdminKeys(env.BACKSERV_ADMIN_KEYS, apiKeys),
    rateLimitPerMin: envInt(env, 'BACKSERV_RATE_LIMIT_PER_MIN', 0, 0, 1_000_000),
    webhookSecret: env.BACKSERV_WEBHOOK_SECRET || null,
    webhookMaxAttempts: envInt(env, 'BACKSERV_WEBHOOK_MAX_ATTEMPTS', 6, 1, 50),
    webhookBackoffMs: envInt(env, 'BACKSERV_WEBHOOK_BACKOFF_MS', 2_000, 1, 3_600_000),
    webhookMaxBackoffMs: envInt(env, 'BACKSERV_WEBHOOK_MAX_BACKOFF_MS', 300_000, 1, 86_400_000),
    webhookTimeoutMs: envInt(env, 'BACKSERV_WEBHOOK_TIMEOUT_MS', 10_000, 100, 600_000),
    webhookPollMs: envInt(env, 'BACKSERV_WEBHOOK_POLL_MS', 2_000, 50, 600_000),
    webhookProgressMs: envInt(env, 'BACKSERV_WEBHOOK_PROGRESS_MS', 1_000, 0, 3_600_000),
    idempotencyTtlS: envInt(env, 'BACKSERV_IDEMPOTENCY_TTL_S', 86_400, 1, 30 * 86_400),
    sseHeartbeatMs: envInt(env, 'BACKSERV_SSE_HEARTBEAT_MS', 15_000, 100, 600_000),
  };
}
