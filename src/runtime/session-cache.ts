/**
 * One ONNX Runtime session per model file per worker thread. Sessions are expensive to
 * create (graph optimisation, weight upload), so they are memoised in an LRU by path and the
 * file's identity (size, mtime, inode): a model deleted and installed again through the API is
 * loaded afresh, never served from the old session. A load that fails is evicted so a later
 * task can retry once the file is fixed.
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

  constructor(private readonly settings: SessionSettings, maxSessions = 8) {
    this.cache = new LRUCache({
      max: maxSessions,
      dispose: (pending) => {
        pending.then((s) => s.release()).catch(() => undefined);
      },
    });
  }

  get(path: string): Promise<ort.InferenceSession> {
    const key = cacheKey(path);
    const hit = this.cache.get(key);
    if (hit) return hit;
    const pending = inNative(() => ort.InferenceSession.create(path, {
      executionProviders: [...this.settings.device.providers],
      intraOpNumThreads: this.settings.intraOpThreads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    })).then(gated, (err: unknown) => {
      // The runtime's message names the absolute path; the client sees the model's folder only.
      throw new TaskError(`The model ${modelName(path)} could not be loaded; ask the operator to reinstall it.`, 'model_load_failed', { cause: err });
    });
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
