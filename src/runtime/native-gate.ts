/**
 * Knowing when a worker thread is inside native async work (an onnxruntime run or session
 * load, a sharp decode/encode). Terminating a thread there makes the addon call back into a
 * dead environment, which aborts the whole process with a Napi::Error (seen with
 * onnxruntime-node 1.30 and sharp). The pool terminates a thread that ignores cancel only when
 * it is outside such work, and a thread marked for termination may not start new work.
 *
 * Protocol (two shared Int32 slots, sequentially consistent atomics, Dekker-style):
 * the worker increments [0] and then reads [1]; the pool writes [1] and then reads [0]. One of
 * them always sees the other, so termination never lands inside native work.
 */
import { CancelledError } from '../tasks/task-errors.js';

let flags: Int32Array | null = null;

/** Set by the worker for the task it is running; null on the main thread (no gating). */
export function setNativeGate(shared: Int32Array | null): void {
  flags = shared;
}

export async function inNative<T>(work: () => Promise<T>): Promise<T> {
  const f = flags;
  if (!f) return work();
  Atomics.add(f, 0, 1);
  if (Atomics.load(f, 1) !== 0) {
    Atomics.sub(f, 0, 1);
    throw new CancelledError();
  }
  try {
    return await work();
  } finally {
    Atomics.sub(f, 0, 1);
  }
}

/** Pool side: forbid new native work; true if the thread may be terminated right now. */
export function mayTerminate(shared: Int32Array): boolean {
  Atomics.store(shared, 1, 1);
  return Atomics.load(shared, 0) === 0;
}
