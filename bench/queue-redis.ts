/**
 * Redis mode of the `queue` part: no-op tasks through serve (RedisFrontend) → Redis (fair
 * claim script) → worker node (pool) → completion, next to raw BullMQ add + process of no-op
 * jobs at the same concurrency, in the same run and on the same Redis.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { silentLogger } from '../src/infra/logging.js';
import { connectRedis, connectSubscriber } from '../src/infra/redis/connection.js';
import { dropPrefix } from '../test/helpers/drop-prefix.js';
import { RedisFrontend } from '../src/scale-out/redis-frontend.js';
import { RedisWorkerNode } from '../src/scale-out/redis-worker.js';
import { RedisTaskStore } from '../src/store/redis-store.js';
import { WorkerPool } from '../src/workers/pool.js';
import { interleave, summarize, timeMs } from './stats.js';
import type { BenchOptions, BenchRow } from './types.js';

const REDIS_URL = process.env.BACKSERV_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SLOTS = 2;

export async function runRedisQueueBench(opts: BenchOptions): Promise<BenchRow[]> {
  const prefix = `backserv-bench:${randomUUID()}:`;
  const log = silentLogger();
  const redis = connectRedis(REDIS_URL, 'bench');
  const subW = connectSubscriber(REDIS_URL, 'bench-w');
  const subS = connectSubscriber(REDIS_URL, 'bench-s');
  const store = new RedisTaskStore(redis, prefix, 30_000);
  const pool = new WorkerPool({
    size: SLOTS, cancelGraceMs: 1000, workerFile: join(import.meta.dirname, 'fixtures', 'noop-worker.ts'),
    env: {
      modelsDir: '', resultsDir: '', inputs: { kind: 'local', dir: '' }, device: 'cpu', intraOpThreads: 1,
      fetch: { maxBytes: 1, timeoutMs: 1, maxRedirects: 0, allowlist: undefined, maxPixels: 1 },
      upscale: { tile: 1, pad: 0, memoryBytes: 1, maxOutputPixels: 1 },
    },
  });
  const frontend = new RedisFrontend(store, redis, subS, { maxQueued: 0, maxQueuedPerUser: 0, cancelWaitMs: 1000, slots: () => SLOTS }, log);
  const node = new RedisWorkerNode(store, redis, subW, pool, {
    servName: 'bench', leaseMs: 30_000, maxAttempts: 3, describe: {},
    capabilities: () => ({ task_types: ['image_upscale'], models: { image_upscale: ['noop'] } }),
  }, log);
  await frontend.start();
  await node.start();
  const bullConn = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queueName = `bench-${randomUUID()}`;
  const bull = new Queue(queueName, { connection: bullConn, prefix: `${prefix}bull` });
  let bullDone = 0;
  const bullWorker = new Worker(queueName, async () => 1, { connection: bullConn.duplicate(), prefix: `${prefix}bull`, concurrency: SLOTS });
  bullWorker.on('completed', () => bullDone++);

  const batch = opts.quick ? 200 : 1000;
  const untilCompleted = async (n: number) => {
    for (;;) {
      if ((await store.countByStatus()).Completed >= n) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  let done = 0;
  try {
    opts.progress('queue: redis mode vs raw BullMQ');
    const tp = await interleave({
      redis: async () => batch / ((await timeMs(async () => {
        await Promise.all(Array.from({ length: batch }, (_, i) => frontend.submit({
          ticket_id: randomUUID(), task_type: 'image_upscale', user_id: `u${i % 4}`, params: {}, serv_name: 'bench', created_at: new Date().toISOString(),
        })));
        done += batch;
        await untilCompleted(done);
      })) / 1000),
      bullmq: async () => batch / ((await timeMs(async () => {
        const target = bullDone + batch;
        await Promise.all(Array.from({ length: batch }, (_, i) => bull.add('noop', { i }, { removeOnComplete: true })));
        while (bullDone < target) await new Promise((r) => setTimeout(r, 5));
      })) / 1000),
    }, opts.quick ? 3 : 7);
    const b = summarize(tp.bullmq);
    const r = summarize(tp.redis);
    return [
      { part: 'queue', name: 'raw bullmq add+process', unit: 'tasks/s', ...b },
      { part: 'queue', name: 'redis mode no-op throughput', unit: 'tasks/s', ...r, baseline: 'raw bullmq add+process', ratio: r.median / b.median },
    ];
  } finally {
    await node.stop();
    await bullWorker.close();
    await bull.close();
    await pool.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
    subW.disconnect();
    subS.disconnect();
    bullConn.disconnect();
  }
}
