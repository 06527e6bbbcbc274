/** Deletes every key under a prefix (tests, benches, and an operator retiring a deployment). */
import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from '../../src/infra/redis/connection.js';

async function dropOn(redis: Redis, prefix: string, oneByOne: boolean): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (!oneByOne) {
      if (keys.length) await redis.del(...keys);
    } else {
      for (const key of keys) await redis.del(key); // a multi-key DEL across slots is refused
    }
  } while (cursor !== '0');
}

export async function dropPrefix(redis: RedisClient, prefix: string): Promise<void> {
  if (!prefix) throw new Error('refusing to delete with an empty prefix');
  // SCAN walks one node: on a cluster, walk every primary.
  if (redis instanceof Cluster) for (const node of redis.nodes('master')) await dropOn(node, prefix, true);
  else await dropOn(redis, prefix, false);
}
