/**
 * `queue`: a no-op task through the whole embedded path (durable SQLite insert, claim: in the
 * insert's commit when a worker is free and nothing is queued, as in the round trip, the run then
 * starting while that commit is written, else a claim write through the fair queue, as in
 * throughput; worker pool, durable completion write) vs raw Piscina running an echo function:
 * round-trip latency (one at a time, submit until the task is Completed in the store) and
 * throughput (many in flight).
 *
 * Two pool modes: worker threads in this process (BACKSERV_WORKER_HOST=0), like for like with raw
 * Piscina, which the #18 goal reads; and worker host processes (the default: one child process per
 * worker, each running that pool of one thread), which adds an IPC hop each way.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { silentLogger } from '../src/infra/logging.js';
import { Scheduler } from '../src/queue/scheduler.js';
import { SqliteTaskStore } from '../src/store/sqlite-store.js';
import { HostPool } from '../src/workers/host/host-pool.js';
import { WorkerPool, type PoolOptions } from '../src/workers/pool.js';
import { interleave, summarize, timeMs } from './stats.js';
import type { BenchOptions, BenchRow } from './types.js';
import { runRedisQueueBench } from './queue-redis.js';

const here = import.meta.dirname;

interface Embedded {
  store: SqliteTaskStore;
  pool: WorkerPool | HostPool;
  scheduler: Scheduler;
  submit(user: string): Promise<unknown>;
}

export async function runQueueBench(opts: BenchOptions): Promise<BenchRow[]> {
  const workers = 2;
  const options: PoolOptions = {
    size: workers, cancelGraceMs: 1000, workerFile: join(here, 'fixtures', 'noop-worker.ts'),
    env: {
      modelsDir: '', resultsDir: '', inputs: { kind: 'local', dir: '' }, device: 'cpu', intraOpThreads: 1,
      fetch: { maxBytes: 1, timeoutMs: 1, maxRedirects: 0, allowlist: undefined, maxPixels: 1 },
      upscale: { tile: 1, pad: 0, memoryBytes: 1, maxOutputPixels: 1 },
    },
  };
  const embedded = async <P extends WorkerPool | HostPool>(pool: P) => {
    const store = new SqliteTaskStore(join(mkdtempSync(join(tmpdir(), 'backserv-bench-q-')), 'q.sqlite'));
    const scheduler = new Scheduler(store, pool, 'bench', { maxQueued: 1e9, maxQueuedPerUser: 1e9, maxAttempts: 3 }, silentLogger());
    await scheduler.start();
    const submit = (user: string) => scheduler.submit({
      ticket_id: randomUUID(), task_type: 'image_upscale', user_id: user, params: {}, serv_name: 'bench', created_at: new Date().toISOString(),
    });
    return { store, pool, scheduler, submit };
  };
  const threads: Embedded = await embedded(new WorkerPool(options));
  const hostPool = new HostPool({ pool: options, log: silentLogger() });
  const hosts: Embedded = await embedded(hostPool);
  // A host process is ready once forked and loaded: wait for both before timing anything.
  for (let i = 0; i < 200 && hostPool.workerStats().workers.some((w) => w.pid === null); i++) await new Promise((r) => setTimeout(r, 50));
  const raw = new Piscina({ filename: join(here, 'fixtures', 'raw-noop.ts'), minThreads: workers, maxThreads: workers, execArgv: ['--import', 'tsx'] });

  const batch = opts.quick ? 500 : 2000;
  const reps = opts.quick ? 5 : 15;
  try {
    opts.progress('queue: round trip');
    // whenIdle resolves once the task is Completed in the store (a claim in progress counts as busy).
    const roundTrip = (e: Embedded) => () => timeMs(async () => {
      await e.submit('rt');
      await e.scheduler.whenIdle();
    });
    const rt = await interleave({ embedded: roundTrip(threads), hosts: roundTrip(hosts), raw: async () => timeMs(() => raw.run(1)) }, reps * 40);
    opts.progress('queue: throughput');
    const throughput = (e: Embedded) => async () => batch / ((await timeMs(async () => {
      for (let i = 0; i < batch; i++) await e.submit(`u${i % 4}`);
      await e.scheduler.whenIdle();
    })) / 1000);
    const tp = await interleave({
      embedded: throughput(threads),
      hosts: throughput(hosts),
      raw: async () => batch / ((await timeMs(() => Promise.all(Array.from({ length: batch }, (_, i) => raw.run(i))))) / 1000),
    }, reps);
    const row = (name: string, unit: string, samples: number[], baseline?: string, base?: number[], note?: string): BenchRow => {
      const s = summarize(samples);
      return { part: 'queue', name, unit, ...s, ...(baseline ? { baseline, ratio: s.median / summarize(base!).median } : {}), ...(note ? { note } : {}) };
    };
    const threadNote = 'worker threads in this process (BACKSERV_WORKER_HOST=0), like raw Piscina';
    const hostNote = 'worker host processes (the default): an IPC hop each way';
    const redisRows = await runRedisQueueBench(opts).catch((err: Error) => {
      opts.progress(`queue: redis mode skipped (${err.message})`);
      return [] as BenchRow[];
    });
    return [
      ...redisRows,
      row('raw piscina round trip', 'ms', rt.raw),
      row('embedded no-op round trip', 'ms', rt.embedded, 'raw piscina round trip', rt.raw, threadNote),
      row('embedded no-op round trip, worker host', 'ms', rt.hosts, 'raw piscina round trip', rt.raw, hostNote),
      row('raw piscina throughput', 'tasks/s', tp.raw),
      row('embedded no-op throughput', 'tasks/s', tp.embedded, 'raw piscina throughput', tp.raw, threadNote),
      row('embedded no-op throughput, worker host', 'tasks/s', tp.hosts, 'raw piscina throughput', tp.raw, hostNote),
    ];
  } finally {
    for (const e of [threads, hosts]) {
      e.scheduler.stop();
      await e.pool.close();
      await e.store.close();
    }
    await raw.close();
  }
}
