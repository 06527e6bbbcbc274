/**
 * Per-thread state of a pool worker: one session cache, one kernel set, one model registry,
 * built on the first task and kept for the thread's life so models load once per worker.
 */
import { fetchImageBytes } from '../imaging/fetch-image.js';
import { decodeDataUriChunks } from '../imaging/data-uri-stream.js';
import { InvalidImageError } from '../tasks/invalid-image-error.js';
import { openInputStore } from '../store/inputs/create-input-store.js';
import { InputMissingError, parseInputRef } from '../store/inputs/input-store.js';
import { decodeImage } from '../imaging/decode.js';
import type { MediaKind } from '../imaging/data-uri.js';
import { parseAllowlist } from '../infra/net/address-policy.js';
import { createRegistry } from '../models/registry.js';
import { loadConfiguredManifest } from '../models/manifest.js';
import type { ModelRegistry } from '../models/types.js';
import { loadKernels } from '../native/index.js';
import type { Kernels } from '../native/types.js';
import type { DecodedImage } from '../imaging/decoded-image.js';
import { SessionCache, chooseDevice } from '../runtime/index.js';
import type { WorkerEnv } from '../pipelines/worker-env.js';
import type { PipelineContext } from '../pipelines/types.js';
import { workerData } from 'node:worker_threads';
import type { PoolWorkerData } from './messages.js';

export interface ThreadContext {
  sessions: SessionCache;
  kernels: Kernels;
  models: ModelRegistry;
  loadImage(ref: string, field: string, signal: AbortSignal): Promise<DecodedImage>;
  /** The bytes of an input video (target_video): same sources, caps and SSRF rules as images, not decoded. */
  loadVideoBytes(ref: string, field: string, signal: AbortSignal): Promise<Buffer>;
}

let context: ThreadContext | null = null;

/** The pool's settings, handed to this thread once when it started (Piscina's workerData). */
export function threadEnv(): WorkerEnv {
  return (workerData as PoolWorkerData).env;
}

export function threadContext(env: WorkerEnv): ThreadContext {
  if (context) return context;
  const device = chooseDevice(env.device);
  const allowlist = parseAllowlist(env.fetch.allowlist);
  const inputs = openInputStore(env.inputs);
  const loadBytes = async (ref: string, field: string, signal: AbortSignal, kind: MediaKind): Promise<Buffer> => {
    // A data: URI the API kept in the input store (too large for the task record).
    const stored = parseInputRef(ref);
    if (stored !== null) {
      return decodeDataUriChunks(inputs.open(stored), env.fetch.maxBytes, field, kind).catch((err: unknown) => {
        if (err instanceof InputMissingError) throw new InvalidImageError(field, `the uploaded ${kind} is no longer stored on this server; submit it again`);
        throw err;
      });
    }
    return fetchImageBytes(ref, {
      maxBytes: env.fetch.maxBytes,
      timeoutMs: env.fetch.timeoutMs,
      maxRedirects: env.fetch.maxRedirects,
      allowlist,
      signal,
      field,
      kind,
    });
  };
  context = {
    sessions: new SessionCache({ device, intraOpThreads: env.intraOpThreads }),
    kernels: loadKernels(),
    models: createRegistry(env.modelsDir, loadConfiguredManifest(env.modelsManifest)),
    async loadImage(ref, field, signal) {
      return decodeImage(await loadBytes(ref, field, signal, 'image'), { maxPixels: env.fetch.maxPixels, field });
    },
    loadVideoBytes: (ref, field, signal) => loadBytes(ref, field, signal, 'video'),
  };
  return context;
}

/** The parts of a task's PipelineContext that come from its thread: shared sessions and models, inputs read under the task's signal. */
export function threadParts(thread: ThreadContext, env: WorkerEnv, signal: AbortSignal): Pick<PipelineContext, 'sessions' | 'kernels' | 'models' | 'resultsDir' | 'env' | 'loadImage' | 'loadVideoBytes'> {
  return {
    sessions: thread.sessions,
    kernels: thread.kernels,
    models: thread.models,
    resultsDir: env.resultsDir,
    env,
    loadImage: (ref, field) => thread.loadImage(ref, field, signal),
    loadVideoBytes: (ref, field) => thread.loadVideoBytes(ref, field, signal),
  };
}
