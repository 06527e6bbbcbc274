/**
 * The per-user token bucket kept in Redis, shared by every serve node. One script reads,
 * refills and takes atomically, on Redis's clock (TIME), so nodes with skewed clocks agree.
 */
import { LuaScript } from '../infra/redis/script.js';
import { rateLimited, type SubmitLimiter } from './rate-limit.js';
import type { RedisClient } from '../infra/redis/connection.js';
import { guardRedis } from '../infra/redis/guard.js';

/** ARGV: key, perMinute. Returns {1 = taken | 0 = refused, tokens left (string)}. */
const TAKE = new LuaScript(`
local key, per = ARGV[1], tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', key, 'tokens', 'at')
local tokens, at = tonumber(b[1]) or per, tonumber(b[2]) or now
tokens = math.min(per, tokens + (now - at) * per / 60000)
local ok = 0
if tokens >= 1 then tokens = tokens - 1; ok = 1 end
redis.call('HSET', key, 'tokens', tostring(tokens), 'at', now)
-- A bucket refills completely within a minute; after that it carries no information.
redis.call('PEXPIRE', key, 60000)
return {ok, tostring(tokens)}
`);

export class RedisRateLimiter implements SubmitLimiter {
  constructor(private readonly redis: RedisClient, private readonly prefix: string, private readonly perMinute: number) {}

  async take(user: string): Promise<void> {
    if (this.perMinute <= 0) return;
    const [ok, tokens] = (await guardRedis(TAKE.run(this.redis, [`${this.prefix}rate:${user}`, this.perMinute]))) as [number, string];
    if (ok !== 1) throw rateLimited(user, this.perMinute, Number(tokens));
  }
}
