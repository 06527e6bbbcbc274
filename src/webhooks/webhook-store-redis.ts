/**
 * Webhook registrations and delivery state in Redis, shared by every serve node: a hash per
 * registration, a sorted set of pending deliveries by due time and one of waiting registrations.
 * Each transition is one Lua script (src/webhooks/scripts/*.lua; atomic across nodes). Finished
 * rows expire after a week. Like the task store's, the keys share the deployment prefix (hash-tagged on a Redis Cluster).
 */
import { loadScripts, scriptDir } from '../infra/redis/script-loader.js';
import type { WebhookBackend, WebhookRow, WebhookState } from './webhook-backend.js';
import type { RedisClient } from '../infra/redis/connection.js';

const KEEP_FINISHED_MS = 7 * 24 * 3600 * 1000;

const S = loadScripts(scriptDir(import.meta.url, 'scripts'), {
  REGISTER: 'register', ARM: 'arm', CLAIM: 'claim', RETRY: 'retry', FINISH: 'finish',
});

export class RedisWebhookStore implements WebhookBackend {
  /** `redis` belongs to the caller; `prefix` is the deployment's key prefix (e.g. "backserv:"). */
  constructor(private readonly redis: RedisClient, private readonly prefix: string) {}

  async register(ticketId: string, url: string, baseUrl: string): Promise<void> {
    await S.REGISTER.run(this.redis, [this.prefix, ticketId, url, baseUrl, Date.now()]);
  }

  async get(ticketId: string): Promise<WebhookRow | null> {
    const f = await this.redis.hgetall(`${this.prefix}wh:${ticketId}`);
    if (!f.state) return null;
    return {
      ticket_id: ticketId, url: f.url, base_url: f.base_url, state: f.state as WebhookState,
      attempts: Number(f.attempts), next_at: Number(f.next_at), last_error: f.last_error || null,
    };
  }

  async arm(ticketId: string, at: number): Promise<boolean> {
    return (await S.ARM.run(this.redis, [this.prefix, ticketId, at])) === 1;
  }

  async claim(ticketId: string, now: number, leaseMs: number): Promise<WebhookRow | null> {
    const taken = (await S.CLAIM.run(this.redis, [this.prefix, ticketId, now, leaseMs])) === 1;
    return taken ? this.get(ticketId) : null;
  }

  async retryLater(ticketId: string, attempts: number, nextAt: number, error: string): Promise<void> {
    await S.RETRY.run(this.redis, [this.prefix, ticketId, attempts, nextAt, error]);
  }

  async finish(ticketId: string, state: 'delivered' | 'failed', attempts: number, error: string | null): Promise<void> {
    await S.FINISH.run(this.redis, [this.prefix, ticketId, state, attempts, error ?? '', KEEP_FINISHED_MS]);
  }

  async due(now: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(`${this.prefix}wh:due`, '-inf', String(now), 'LIMIT', 0, limit);
  }

  async waiting(limit: number): Promise<string[]> {
    return this.redis.zrange(`${this.prefix}wh:waiting`, '0', String(limit - 1));
  }

  async close(): Promise<void> {
    // The connection belongs to the caller.
  }
}
