/**
 * The worker pool as every deployment builds it from the Config: in a supervised child process
 * (the worker host, the default, so a native crash cannot take the API down), or as threads of
 * this process (BACKSERV_WORKER_HOST=0: one process less, for debugging).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { Logger } from '../infra/logging.js';
import { HostPool, type HostCrash } from './host/host-pool.js';
import { WorkerPool, type PoolOptions } from './pool.js';
import type { TaskPool } from './task-pool.js';
import { inputStoreSettings } from '../store/inputs/create-input-store.js';

export interface CreatePoolOptions {
  workerFile?: string;
  log: Logger;
  onCrash?(crash: HostCrash): void;
}

export function createWorkerPool(config: Config, opts: CreatePoolOptions): TaskPool {
  const options = poolOptions(config, opts.workerFile);
  return config.workerHost ? new HostPool({ pool: options, log: opts.log, onCrash: opts.onCrash }) : new WorkerPool(options);
}

function poolOptions(config: Config, workerFile: string | undefined): PoolOptions {
  const resultsDir = join(config.dataDir, 'results');
  mkdirSync(resultsDir, { recursive: true });
  return {
    size: config.workers,
    cancelGraceMs: config.limits.cancelGraceMs,
    workerFile,
    env: {
      modelsDir: config.modelsDir,
      modelsManifest: config.modelsManifest,
      loraDir: config.loraDir,
      resultsDir,
      inputs: inputStoreSettings(config),
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
        memoryBytes: config.limits.upscaleMemoryBytes,
        maxOutputPixels: config.limits.upscaleMaxOutputPixels,
      },
    },
  };
}
