/**
 * Per-thread state of a pool worker: one session cache, one kernel set, one model registry,
 * built on the first task and kept for the thread's life so models load once per worker.
 */
import { fetchImageBytes } from '../imaging/fetch-image.js';
import { decodeImage } from '../imaging/decode.js';
import { parseAllowlist } from '../infra/net/address-policy.js';
import { createRegistry } from '../models/registry.js';
import type { ModelRegistry } from '../models/types.js';
import { loadKernels } from '../native/index.js';
import type { Kernels } from '../native/types.js';
import type { DecodedImage } from '../imaging/decoded-image.js';
import { SessionCache, chooseDevice } from '../runtime/index.js';
import type { WorkerEnv } from '../pipelines/worker-env.js';

export interface ThreadContext {
  sessions: SessionCache;
  kernels: Kernels;
  models: ModelRegistry;
  loadImage(ref: string, field: string, signal: AbortSignal): Promise<DecodedImage>;
}

let context: ThreadContext | null = null;

export function threadContext(env: WorkerEnv): ThreadContext {
  if (context) return context;
  const device = chooseDevice(env.device);
  const allowlist = parseAllowlist(env.fetch.allowlist);
  context = {
    sessions: new SessionCache({ device, intraOpThreads: env.intraOpThreads }),
    kernels: loadKernels(),
    models: createRegistry(env.modelsDir),
    async loadImage(ref, field, signal) {
      const bytes = await fetchImageBytes(ref, {
        maxBytes: env.fetch.maxBytes,
        timeoutMs: env.fetch.timeoutMs,
        maxRedirects: env.fetch.maxRedirects,
        allowlist,
        signal,
        field,
      });
      return decodeImage(bytes, { maxPixels: env.fetch.maxPixels, field });
    },
  };
  return context;
}
