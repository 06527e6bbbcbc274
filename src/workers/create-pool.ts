/** The worker pool as every deployment builds it from the Config. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { WorkerPool } from './pool.js';

export function createWorkerPool(config: Config, workerFile?: string): WorkerPool {
  const resultsDir = join(config.dataDir, 'results');
  mkdirSync(resultsDir, { recursive: true });
  return new WorkerPool({
    size: config.workers,
    cancelGraceMs: config.limits.cancelGraceMs,
    workerFile,
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
}
