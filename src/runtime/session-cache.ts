/**
 * One ONNX Runtime session per model file per worker thread. Sessions are expensive to
 * create (graph optimisation, weight upload), so they are memoised in an LRU by path and the
 * file's identity (size, mtime, inode): a model deleted and installed again through the API is
 * loaded afresh, never served from the old session. A load that fails is evicted so a later
 * task can retry once the file is fixed. Derived sessions (a model with LoRAs merged into its
 * weights) are memoised by their own key, and fewer of them are kept: each is a whole copy of its model.
 */
import { statSync } from 'node:fs';
import { LRUCache } from 'lru-cache';
import * as ort from 'onnxruntime-node';
import type { DeviceChoice } from './device.js';
import { TaskError } from '../tasks/task-errors.js';
import { inNative } from './native-gate.js';

export interface SessionSettings {
  device: DeviceChoice;
  /** Threads inside one operator; 0 lets onnxruntime decide. */
  intraOpThreads: number;
  /** Derived sessions kept at most (default 4); the oldest unused goes first. */
  maxDerived?: number;
}

/**
 * What a derived session is built from: model bytes, or the path of a model file written for it
 * (when the model keeps weights in side files that must resolve next to it); `cleanup` runs once
 * the session exists or failed.
 */
export interface DerivedModel {
  source: Uint8Array | string;
  cleanup?(): void;
}

/** Every run() goes through the native gate (see native-gate.ts); everything else is the session itself. */
function gated(session: ort.InferenceSession): ort.InferenceSession {
  return new Proxy(session, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== 'run' || typeof value !== 'function') return value;
      // Looked up at call time, so a replaced run (a test spy, say) is still gated.
      return (...args: unknown[]) => inNative(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  });
}

/** `<models>/<id>/unet/model.onnx` → `<id>/unet/model.onnx`: enough to act on, no server layout. */
function modelName(path: string): string {
  return path.split(/[\\/]/).slice(-3).join('/');
}

/** The path plus what changes when the file is replaced; a missing file keys by path (its load fails anyway). */
function cacheKey(path: string): string {
  try {
    const st = statSync(path);
    return `${path}\0${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    return path;
  }
}

export class SessionCache {
  private readonly cache: LRUCache<string, Promise<ort.InferenceSession>>;
  /** Keys of the derived sessions in `cache`, so that only so many of them are kept. */
  private readonly derived: LRUCache<string, true>;
  private createdCount = 0;

  constructor(private readonly settings: SessionSettings, maxSessions = 8) {
    this.cache = new LRUCache({
      max: maxSessions,
      dispose: (pending) => {
        pending.then((s) => s.release()).catch(() => undefined);
      },
    });
    this.derived = new LRUCache({
      max: settings.maxDerived ?? 4,
      // A key the main cache dropped first may linger here; deleting it again is harmless.
      dispose: (_v, key, reason) => {
        if (reason === 'evict') this.cache.delete(key);
      },
    });
  }

  /** Sessions created since start (cache misses that reached the runtime); for tests and logs. */
  get created(): number {
    return this.createdCount;
  }

  get(path: string): Promise<ort.InferenceSession> {
    const key = cacheKey(path);
    const hit = this.cache.get(key);
    if (hit) return hit;
    return this.remember(key, this.create(path, modelName(path)));
  }

  /**
   * The session for `key` (which must name everything the model depends on), built from what
   * `build` returns on a miss. `label` names the model in errors. An error thrown by `build`
   * reaches the caller as it is; one of the runtime is model_load_failed.
   */
  getDerived(key: string, label: string, build: () => DerivedModel | Promise<DerivedModel>): Promise<ort.InferenceSession> {
    const hit = this.cache.get(key);
    if (hit) {
      this.derived.get(key);
      return hit;
    }
    const pending = Promise.resolve().then(build).then(async (model) => {
      try {
        return await this.create(model.source, label);
      } finally {
        model.cleanup?.();
      }
    });
    this.derived.set(key, true);
    return this.remember(key, pending);
  }

  private create(source: string | Uint8Array, label: string): Promise<ort.InferenceSession> {
    this.createdCount++;
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: [...this.settings.device.providers],
      intraOpNumThreads: this.settings.intraOpThreads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    };
    return inNative(() => (typeof source === 'string' ? ort.InferenceSession.create(source, options) : ort.InferenceSession.create(source, options))).then(gated, (err: unknown) => {
      // The runtime's message names the absolute path; the client sees the model's folder only.
      throw new TaskError(`The model ${label} could not be loaded; ask the operator to reinstall it.`, 'model_load_failed', { cause: err });
    });
  }

  private remember(key: string, pending: Promise<ort.InferenceSession>): Promise<ort.InferenceSession> {
    this.cache.set(key, pending);
    pending.catch(() => {
      if (this.cache.get(key) === pending) this.cache.delete(key);
    });
    return pending;
  }

  clear(): void {
    this.cache.clear();
  }
}
