/**
 * Per-thread state of a pool worker: one session cache, one kernel set, one model registry,
 * built on the first task and kept for the thread's life so models load once per worker.
 */
import { fetchImageBytes } from '../imaging/fetch-image.js';
import { decodeImage } from '../imaging/decode.js';
import { parseAllowlist } from '../imaging/address-policy.js';
import { createRegistry } from '../models/registry.js';
import type { ModelRegistry } from '../models/types.js';
import { loadKernels } from '../native/index.js';
import type { Kernels } from '../native/types.js';
import { CancelledError, type DecodedImage } from '../pipelines/types.js';
import { SessionCache, chooseDevice } from '../runtime/index.js';
import type { WorkerEnv } from './messages.js';

export interface ThreadContext {
  sessions: SessionCache;
  kernels: Kernels;
  models: ModelRegistry;
  loadImage(ref: string, field: string, signal: AbortSignal): Promise<DecodedImage>;
}

let context: ThreadContext | null = null;
/** The current task's shared flags (one task per thread at a time); see WorkerRequest.nativeGate. */
let gate: Int32Array | null = null;

export function setNativeGate(flags: Int32Array): void {
  gate = flags;
}

/**
 * Entering a native run announces itself first, then checks whether the pool has decided to
 * terminate this thread; the pool sets that flag first, then checks the announcement. With
 * sequentially consistent atomics one of the two always sees the other, so a thread is never
 * terminated inside a run.
 */
const runGate = {
  enter: () => {
    if (!gate) return;
    Atomics.add(gate, 0, 1);
    if (Atomics.load(gate, 1) !== 0) {
      Atomics.sub(gate, 0, 1);
      throw new CancelledError();
    }
  },
  exit: () => void (gate && Atomics.sub(gate, 0, 1)),
};

export function threadContext(env: WorkerEnv): ThreadContext {
  if (context) return context;
  const device = chooseDevice(env.device);
  const allowlist = parseAllowlist(env.fetch.allowlist);
  context = {
    sessions: new SessionCache({ device, intraOpThreads: env.intraOpThreads, runGate }),
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
