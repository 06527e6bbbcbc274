/**
 * A Lua script run by SHA (EVALSHA), loaded on first use or after a Redis restart (NOSCRIPT).
 * The first argument (a key, or the deployment's key prefix) is also passed as KEYS[1]: the
 * scripts read ARGV only, but a Redis Cluster client routes a script by its keys, and every
 * key a script touches shares that prefix's hash tag (see scale-out/cluster-prefix.ts).
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from './connection.js';

export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: RedisClient, args: (string | number)[]): Promise<unknown> {
    const route = String(args[0]);
    try {
      return await redis.evalsha(this.sha, 1, route, ...args);
    } catch (err) {
      if (!String((err as Error).message).includes('NOSCRIPT')) throw err;
      return redis.eval(this.source, 1, route, ...args);
    }
  }
}
