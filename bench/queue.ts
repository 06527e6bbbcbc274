/**
 * `queue`: a no-op task through the whole embedded path (durable SQLite insert, fair queue,
 * scheduler, Piscina pool with its MessageChannel, completion write) vs raw Piscina running
 * an echo function: round-trip latency (one at a time) and throughput (many in flight).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { silentLogger } from '../src/infra/logging.js';
import { Scheduler } from '../src/queue/scheduler.js';
import { SqliteTaskStore } from '../src/store/sqlite-store.js';
import { WorkerPool } from '../src/workers/pool.js';
import { interleave, summarize, timeMs } from './stats.js';
import type { BenchOptions, BenchRow } from './types.js';
import { runRedisQueueBench } from './queue-redis.js';

const here = import.meta.dirname;

export async function runQueueBench(opts: BenchOptions): Promise<BenchRow[]> {
  const workers = 2;
  const store = new SqliteTaskStore(join(mkdtempSync(join(tmpdir(), 'backserv-bench-q-')), 'q.sqlite'));
  const pool = new WorkerPool({
    size: workers, cancelGraceMs: 1000, workerFile: join(here, 'fixtures', 'noop-worker.ts'),
    env: {
      modelsDir: '', resultsDir: '', inputs: { kind: 'local', dir: '' }, device: 'cpu', intraOpThreads: 1,
      fetch: { maxBytes: 1, timeoutMs: 1, maxRedirects: 0, allowlist: undefined, maxPixels: 1 },
      upscale: { tile: 1, pad: 0, memoryBytes: 1, maxOutputPixels: 1 },
    },
  });
  const scheduler = new Scheduler(store, pool, 'bench', { maxQueued: 1e9, maxQueuedPerUser: 1e9, maxAttempts: 3 }, silentLogger());
  await scheduler.start();
  const raw = new Piscina({ filename: join(here, 'fixtures', 'raw-noop.ts'), minThreads: workers, maxThreads: workers, execArgv: ['--import', 'tsx'] });

  const submit = (user: string) => scheduler.submit({
    ticket_id: randomUUID(), task_type: 'image_upscale', user_id: user, params: {}, serv_name: 'bench', created_at: new Date().toISOString(),
  });
  const batch = opts.quick ? 500 : 2000;
  const reps = opts.quick ? 5 : 15;
  try {
    opts.progress('queue: round trip');
    const rt = await interleave({
      embedded: async () => timeMs(async () => {
        await submit('rt');
        await scheduler.whenIdle();
      }),
      raw: async () => timeMs(() => raw.run(1)),
    }, reps * 10);
    opts.progress('queue: throughput');
    const tp = await interleave({
      embedded: async () => batch / ((await timeMs(async () => {
        for (let i = 0; i < batch; i++) await submit(`u${i % 4}`);
        await scheduler.whenIdle();
      })) / 1000),
      raw: async () => batch / ((await timeMs(() => Promise.all(Array.from({ length: batch }, (_, i) => raw.run(i))))) / 1000),
    }, reps);
    const row = (name: string, unit: string, samples: number[], baseline?: string, base?: number[]): BenchRow => {
      const s = summarize(samples);
      return { part: 'queue', name, unit, ...s, ...(baseline ? { baseline, ratio: s.median / summarize(base!).median } : {}) };
    };
    const redisRows = await runRedisQueueBench(opts).catch((err: Error) => {
      opts.progress(`queue: redis mode skipped (${err.message})`);
      return [] as BenchRow[];
    });
    return [
      ...redisRows,
      row('raw piscina round trip', 'ms', rt.raw),
      row('embedded no-op round trip', 'ms', rt.embedded, 'raw piscina round trip', rt.raw),
      row('raw piscina throughput', 'tasks/s', tp.raw),
      row('embedded no-op throughput', 'tasks/s', tp.embedded, 'raw piscina throughput', tp.raw),
    ];
  } finally {
    scheduler.stop();
    await pool.close();
    await raw.close();
    await store.close();
  }
}
