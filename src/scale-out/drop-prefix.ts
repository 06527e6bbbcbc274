/** Deletes every key under a prefix (tests, benches, and an operator retiring a deployment). */
import type { Redis } from 'ioredis';

export async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  if (!prefix) throw new Error('refusing to delete with an empty prefix');
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}
