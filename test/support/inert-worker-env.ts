/**
 * A WorkerEnv for pool tests whose fixture workers never read it (no models, no results, no
 * fetch): only its shape matters, so the pool can be built without a service around it.
 */
import type { WorkerEnv } from '../../src/pipelines/worker-env.js';

export const inertWorkerEnv = {
  modelsDir: '', resultsDir: '', inputs: { kind: 'local', dir: '' }, device: 'cpu', intraOpThreads: 1,
  fetch: { maxBytes: 1, timeoutMs: 1, maxRedirects: 0, allowlist: undefined, maxPixels: 1 },
  upscale: { tile: 1, pad: 0, memoryBytes: 1, maxOutputPixels: 1 },
} as WorkerEnv;
