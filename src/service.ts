/**
 * Assembles the embedded service (store, registry, pool, scheduler, HTTP) from a Config.
 * `main.ts` calls it for `npm start`; tests call it with a temp data dir and port 0.
 */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createApp } from './api/app.js';
import type { Config } from './config.js';
import type { Logger } from './logging.js';
import { createRegistry } from './models/registry.js';
import { loadKernels } from './native/index.js';
import { Scheduler } from './queue/scheduler.js';
import { chooseDevice } from './runtime/device.js';
import { SqliteTaskStore } from './store/sqlite-store.js';
import { WorkerPool } from './workers/pool.js';

export interface RunningService {
  url: string;
  port: number;
  server: Server;
  scheduler: Scheduler;
  store: SqliteTaskStore;
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** Override the pool's worker entry (tests use a worker with extra test pipelines). */
  workerFile?: string;
}

export async function startService(config: Config, log: Logger, opts: ServiceOptions = {}): Promise<RunningService> {
  const resultsDir = join(config.dataDir, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const device = chooseDevice(config.device);
  log.info({ device: device.device, providers: device.providers, reason: device.reason }, `execution device: ${device.device}`);
  const kernels = loadKernels();
  log.info({ backend: kernels.backend }, `CPU kernels: ${kernels.backend}`);

  const store = new SqliteTaskStore(join(config.dataDir, 'backserv.sqlite'), config.sqliteSync);
  const models = createRegistry(config.modelsDir);
  const pool = new WorkerPool({
    size: config.workers,
    cancelGraceMs: config.limits.cancelGraceMs,
    workerFile: opts.workerFile,
    env: {
      modelsDir: config.modelsDir,
      resultsDir,
      device: config.device,
      intraOpThreads: config.intraOpThreads,
      fetch: {
        maxBytes: config.limits.fetchMaxBytes,
        timeoutMs: config.limits.fetchTimeoutMs,
        maxRedirects: config.limits.fetchMaxRedirects,
        allowlist: config.urlAllowlist,
        maxPixels: config.limits.maxInputPixels,
      },
      upscale: {
        tile: config.limits.upscaleTile,
        pad: config.limits.upscalePad,
        maxOutputPixels: config.limits.upscaleMaxOutputPixels,
      },
    },
  });
  const scheduler = new Scheduler(store, pool, config.servName, {
    maxQueued: config.limits.maxQueued,
    maxQueuedPerUser: config.limits.maxQueuedPerUser,
    maxAttempts: config.limits.maxAttempts,
  }, log);
  await scheduler.start();

  const app = createApp({
    config, store, scheduler, models, log,
    readyInfo: () => ({
      device: device.device,
      device_reason: device.reason,
      native_kernels: kernels.backend,
      workers: { size: pool.size, busy: pool.busy },
    }),
  });
  const server = app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  // Slow clients must not pin sockets forever, but uploads of large data: URIs take time.
  server.requestTimeout = 120_000;
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  log.info({ port, data_dir: config.dataDir, models_dir: config.modelsDir, workers: config.workers }, `listening on ${config.host}:${port}`);

  let closed = false;
  return {
    url: `http://${host}:${port}`,
    port,
    server,
    scheduler,
    store,
    async close() {
      if (closed) return;
      closed = true;
      scheduler.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.close();
      await store.close();
    },
  };
}
