/**
 * A worker host lowers its own CPU priority (BACKSERV_WORKER_NICE), so that when inference takes
 * every core the API process still gets the CPU the moment a request arrives: the scheduler
 * favours the API's threads over the worker's, and the worker keeps whatever the API leaves idle
 * (no throughput is lost on an otherwise idle machine).
 *
 * On Linux a nice value belongs to a thread, not to the process: setpriority(pid) changes only
 * the thread whose id is pid, and a new thread copies its creator's value. So every thread the
 * host already has (Node's own: libuv, V8 platform) is lowered here, before the pool starts; the
 * pool's worker thread, ONNX Runtime's and libvips' threads are created after and inherit it.
 * Elsewhere setpriority(pid) covers the whole process.
 */
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The nice value a worker should run at: `delta` below the API process's own, at most 19. */
export function workerNice(delta: number): number {
  return Math.min(19, getPriority() + delta);
}

/**
 * Sets this process's threads to `nice` (only ever lower than now: raising a priority needs
 * privileges). Returns an error message when it could not, for the caller to report.
 */
export function lowerOwnPriority(nice: number): string | null {
  if (nice <= getPriority()) return null;
  try {
    if (process.platform === 'linux') {
      for (const tid of readdirSync('/proc/self/task')) setPriority(Number(tid), nice);
    } else {
      setPriority(0, nice);
    }
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}
