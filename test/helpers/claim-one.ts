/**
 * One claim at a time from the Redis store, for tests that step through the fair order. The
 * product claims in batches (RedisTaskStore.claimMany, for a worker's idle slots).
 */
import type { RedisTaskStore } from '../../src/store/redis-store.js';
import { TASK_TYPES, type TaskRecord } from '../../src/tasks/types.js';

export async function claimOne(store: RedisTaskStore, types: readonly string[] = TASK_TYPES, scan = 64): Promise<TaskRecord | null> {
  return (await store.claimMany('w', 'T', types, 1, scan))[0] ?? null;
}
