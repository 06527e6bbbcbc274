/**
 * Webhook registrations and delivery state in Redis, shared by every serve node: a hash per
 * registration, a sorted set of pending deliveries by due time and one of waiting registrations.
 * Each transition is one Lua script (atomic across nodes). Finished rows expire after a week.
 * Like the task store's, the keys share the deployment prefix (hash-tagged on a Redis Cluster).
 */
import { LuaScript } from '../infra/redis/script.js';
import type { WebhookBackend, WebhookRow, WebhookState } from './webhook-backend.js';
import type { RedisClient } from '../infra/redis/connection.js';

const KEEP_FINISHED_MS = 7 * 24 * 3600 * 1000;

const PRELUDE = `
local P = ARGV[1]
local id = ARGV[2]
local h = P .. 'wh:' .. id
`;

const REGISTER = new LuaScript(`${PRELUDE}
if redis.call('EXISTS', h) == 1 then return 0 end
redis.call('HSET', h, 'url', ARGV[3], 'base_url', ARGV[4], 'state', 'waiting', 'attempts', 0, 'next_at', 0, 'lease_until', 0, 'last_error', '')
redis.call('ZADD', P .. 'wh:waiting', ARGV[5], id)
return 1`);

const ARM = new LuaScript(`${PRELUDE}
if redis.call('HGET', h, 'state') ~= 'waiting' then return 0 end
redis.call('HSET', h, 'state', 'pending', 'next_at', ARGV[3])
redis.call('ZREM', P .. 'wh:waiting', id)
redis.call('ZADD', P .. 'wh:due', ARGV[3], id)
return 1`);

const CLAIM = new LuaScript(`${PRELUDE}
local now = tonumber(ARGV[3])
local f = redis.call('HMGET', h, 'state', 'next_at', 'lease_until')
if f[1] ~= 'pending' or tonumber(f[2]) > now or tonumber(f[3]) > now then return 0 end
redis.call('HSET', h, 'lease_until', now + tonumber(ARGV[4]))
return 1`);

const RETRY = new LuaScript(`${PRELUDE}
if redis.call('HGET', h, 'state') ~= 'pending' then return 0 end
redis.call('HSET', h, 'attempts', ARGV[3], 'next_at', ARGV[4], 'last_error', ARGV[5], 'lease_until', 0)
redis.call('ZADD', P .. 'wh:due', ARGV[4], id)
return 1`);

const FINISH = new LuaScript(`${PRELUDE}
if redis.call('EXISTS', h) == 0 then return 0 end
redis.call('HSET', h, 'state', ARGV[3], 'attempts', ARGV[4], 'last_error', ARGV[5], 'lease_until', 0)
redis.call('ZREM', P .. 'wh:due', id)
redis.call('ZREM', P .. 'wh:waiting', id)
redis.call('PEXPIRE', h, ARGV[6])
return 1`);

export class RedisWebhookStore implements WebhookBackend {
  /** `redis` belongs to the caller; `prefix` is the deployment's key prefix (e.g. "backserv:"). */
  constructor(private readonly redis: RedisClient, private readonly prefix: string) {}

  async register(ticketId: string, url: string, baseUrl: string): Promise<void> {
    await REGISTER.run(this.redis, [this.prefix, ticketId, url, baseUrl, Date.now()]);
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
    return (await ARM.run(this.redis, [this.prefix, ticketId, at])) === 1;
  }

  async claim(ticketId: string, now: number, leaseMs: number): Promise<WebhookRow | null> {
    const taken = (await CLAIM.run(this.redis, [this.prefix, ticketId, now, leaseMs])) === 1;
    return taken ? this.get(ticketId) : null;
  }

  async retryLater(ticketId: string, attempts: number, nextAt: number, error: string): Promise<void> {
    await RETRY.run(this.redis, [this.prefix, ticketId, attempts, nextAt, error]);
  }

  async finish(ticketId: string, state: 'delivered' | 'failed', attempts: number, error: string | null): Promise<void> {
    await FINISH.run(this.redis, [this.prefix, ticketId, state, attempts, error ?? '', KEEP_FINISHED_MS]);
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
