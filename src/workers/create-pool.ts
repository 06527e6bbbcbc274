/**
 * The worker pool as every deployment builds it from the Config: one supervised child process per
 * worker (the worker hosts, the default, so a native crash cannot take the API down and a worker
 * can be recycled to return its memory), or as threads of this process (BACKSERV_WORKER_HOST=0:
 * fewer processes, for debugging; no recycling, since a thread's end does not free native memory).
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
  if (config.workerHost) {
    const recycle = { maxTasks: config.workerMaxTasks, maxRssBytes: config.workerMaxRssMb * 1024 * 1024 };
    return new HostPool({ pool: options, log: opts.log, onCrash: opts.onCrash, recycle, niceDelta: config.workerNice });
  }
  if (config.workerMaxTasks > 0 || config.workerMaxRssMb > 0) {
    opts.log.warn('BACKSERV_WORKER_MAX_TASKS and BACKSERV_WORKER_MAX_RSS_MB apply to worker processes only; ignored with BACKSERV_WORKER_HOST=0');
  }
  return new WorkerPool(options);
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
