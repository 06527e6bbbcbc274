/**
 * The per-user token bucket kept in Redis, shared by every serve node. One script reads,
 * refills and takes atomically, on Redis's clock (TIME), so nodes with skewed clocks agree
 * (src/api/scripts/take-token.lua).
 */
import { loadScripts, scriptDir } from '../infra/redis/script-loader.js';
import { rateLimited, type SubmitLimiter } from './rate-limit.js';
import type { RedisClient } from '../infra/redis/connection.js';
import { guardRedis } from '../infra/redis/guard.js';

const TAKE = loadScripts(scriptDir(import.meta.url, 'scripts'), { TAKE: 'take-token' }).TAKE;

export class RedisRateLimiter implements SubmitLimiter {
  constructor(private readonly redis: RedisClient, private readonly prefix: string, private readonly perMinute: number) {}

  async take(user: string): Promise<void> {
    if (this.perMinute <= 0) return;
    const [ok, tokens] = (await guardRedis(TAKE.run(this.redis, [`${this.prefix}rate:${user}`, this.perMinute]))) as [number, string];
    if (ok !== 1) throw rateLimited(user, this.perMinute, Number(tokens));
  }
}
