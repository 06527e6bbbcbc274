/**
 * A Lua script run by SHA (EVALSHA), loaded on first use (EVAL) or after a Redis restart (NOSCRIPT).
 * The first argument (a key, or the deployment's key prefix) is also passed as KEYS[1]: the
 * scripts read ARGV only, but a Redis Cluster client routes a script by its keys, and every
 * key a script touches shares that prefix's hash tag (see scale-out/cluster-prefix.ts).
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from './connection.js';

export class LuaScript {
  private readonly sha: string;
  /** Per client: the first call, which sent the source (EVAL) and so cached the script there. */
  private readonly loaded = new WeakMap<RedisClient, Promise<unknown>>();

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /**
   * The first call on a client is an EVAL; calls made while it is in flight wait for it, so they
   * reach Redis after it and in the order they were made. (Sending EVALSHA at once and retrying
   * NOSCRIPTs with EVAL let a later call overtake an earlier retried one: progress published
   * 77 before 75.) Only a script cache flushed mid-run falls back to EVAL per call.
   */
  async run(redis: RedisClient, args: (string | number)[]): Promise<unknown> {
    const route = String(args[0]);
    const first = this.loaded.get(redis);
    if (!first) {
      const call = redis.eval(this.source, 1, route, ...args);
      this.loaded.set(redis, call.catch(() => undefined));
      return call;
    }
    await first;
    try {
      return await redis.evalsha(this.sha, 1, route, ...args);
    } catch (err) {
      if (!String((err as Error).message).includes('NOSCRIPT')) throw err;
      return redis.eval(this.source, 1, route, ...args);
    }
  }
}
