/**
 * Assembles the embedded service (store, registry, pool, scheduler, HTTP) from a Config.
 * `main.ts` calls it for `npm start`; tests call it with a temp data dir and port 0.
 */
import type { Server } from 'node:http';
import { join } from 'node:path';
import { createApp } from './api/app.js';
import { sqliteApiBackends } from './api/backends-sqlite.js';
import { compatMount, SqliteUserOptions } from './compat/index.js';
import type { Config } from './config/config.js';
import type { Logger } from './infra/logging.js';
import { createRegistry } from './models/registry.js';
import { loadConfiguredManifest } from './models/manifest.js';
import { ModelInstaller } from './models/install/model-installer.js';
import { loadKernels } from './native/index.js';
import { Scheduler } from './queue/scheduler.js';
import { chooseDevice } from './runtime/device.js';
import { SqliteTaskStore } from './store/sqlite-store.js';
import { createWorkerPool } from './workers/create-pool.js';
import { listen } from './api/listen.js';
import { sweepTempResults } from './results/sweep-temp.js';
import { createResultStore } from './results/create-result-store.js';
import { inputStoreSettings, openInputStore, prepareInputFolder } from './store/inputs/create-input-store.js';
import { storedInputsCleanup } from './retention/input-cleanup.js';
import { RetentionSweeper } from './retention/sweeper.js';

export interface RunningService {
  url: string;
  port: number;
  server: Server;
  scheduler: Scheduler;
  store: SqliteTaskStore;
  retention: RetentionSweeper;
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** Override the pool's worker entry (tests use a worker with extra test pipelines). */
  workerFile?: string;
}

export async function startService(config: Config, log: Logger, opts: ServiceOptions = {}): Promise<RunningService> {
  const device = chooseDevice(config.device);
  log.info({ device: device.device, providers: device.providers, reason: device.reason }, `execution device: ${device.device}`);
  const kernels = loadKernels();
  log.info({ backend: kernels.backend }, `CPU kernels: ${kernels.backend}`);

  const store = new SqliteTaskStore(join(config.dataDir, 'backserv.sqlite'), config.sqliteSync);
  const models = createRegistry(config.modelsDir, loadConfiguredManifest(config.modelsManifest));
  const installer = new ModelInstaller({ modelsDir: config.modelsDir, registry: models, allowLoopbackHttp: config.modelsAllowLoopbackHttp });
  let hostCrashes = 0;
  const pool = createWorkerPool(config, { workerFile: opts.workerFile, log, onCrash: () => { hostCrashes++; } });
  sweepTempResults(join(config.dataDir, 'results'), log);
  const results = createResultStore(config);
  log.info({ results: results.kind }, `results stored in ${results.kind === 's3' ? 'S3-compatible storage' : 'the results folder'}`);
  const inputSettings = inputStoreSettings(config);
  const inputs = openInputStore(inputSettings);
  const swept = prepareInputFolder(inputSettings);
  if (swept) log.info({ removed: swept }, 'removed unfinished uploads left by a previous run');
  const scheduler = new Scheduler(store, pool, config.servName, {
    maxQueued: config.limits.maxQueued,
    maxQueuedPerUser: config.limits.maxQueuedPerUser,
    maxAttempts: config.limits.maxAttempts,
    maxBatch: config.batching.maxBatch,
    batchWaitMs: config.batching.batchWaitMs,
  }, log, results);
  await scheduler.start();
  const retention = new RetentionSweeper({ settings: config.retention, store, results, cleanups: [storedInputsCleanup(inputs)], log });
  retention.start();

  const app = createApp({
    config, store, scheduler, models, log, results, inputs, backends: sqliteApiBackends(config), installer, loraDir: config.loraDir,
    mounts: [compatMount(new SqliteUserOptions(join(config.dataDir, 'backserv-compat.sqlite')))],
    workerHostCrashes: () => hostCrashes,
    workerStats: pool.workerStats ? () => pool.workerStats!() : undefined,
    retention: config.retention.sweepMs > 0 ? () => retention.snapshot() : undefined,
    readyInfo: () => ({
      device: device.device,
      device_reason: device.reason,
      native_kernels: kernels.backend,
      workers: { size: pool.size, busy: pool.busy, isolated: config.workerHost, host_crashes: hostCrashes, ...(pool.workerStats ? { recycles: pool.workerStats().recycles } : {}) },
    }),
  });
  const http = await listen(app, config, log);

  let closed = false;
  return {
    url: http.url,
    port: http.port,
    server: http.server,
    scheduler,
    store,
    retention,
    async close() {
      if (closed) return;
      closed = true;
      // HTTP keeps answering while running tasks get their drain time (queries, cancels, and
      // submits, which wait in the durable queue for the next start).
      await scheduler.drain(config.limits.drainTimeoutMs);
      await retention.close();
      await http.close();
      await installer.settled();
      await app.closeExtras();
      await pool.close();
      await scheduler.settled();
      await store.close();
    },
  };
}
