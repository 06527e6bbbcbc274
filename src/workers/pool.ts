/**
 * Piscina pool running pipelines. Each run gets a MessageChannel for progress and
 * cooperative cancel; a worker that ignores cancel for `cancelGraceMs` is terminated
 * (Piscina aborts the task, removes the thread and starts a fresh one), so cancel always
 * frees the slot.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { mayTerminate } from '../runtime/native-gate.js';
import type { TaskType } from '../tasks/types.js';
import type { WorkerEvent, WorkerRequest, WorkerResponse } from './messages.js';
import type { WorkerEnv } from '../pipelines/worker-env.js';
import type { ProgressListener, RunHandle, TaskPool } from './task-pool.js';

const SHUTDOWN: WorkerResponse = { ok: false, cancelled: false, code: 'worker_crashed', message: 'The server shut down while the task ran.', interrupted: 'shutdown' };

export interface PoolOptions {
  size: number;
  env: WorkerEnv;
  cancelGraceMs: number;
  /** Worker entry; defaults to ./worker.(js|ts) beside this module. */
  workerFile?: string;
}

/** Running from sources (tsx/vitest) the worker is a .ts file, loaded through tsx. */
export function defaultWorkerFile(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const js = join(here, 'worker.js');
  return existsSync(js) ? js : join(here, 'worker.ts');
}

export class WorkerPool implements TaskPool {
  private readonly piscina: Piscina;
  private running = 0;
  private closing = false;
  private readonly active = new Set<RunHandle>();

  constructor(private readonly opts: PoolOptions) {
    const filename = opts.workerFile ?? defaultWorkerFile();
    this.piscina = new Piscina({
      filename,
      minThreads: opts.size,
      maxThreads: opts.size,
      // One task per thread: inference saturates a thread, and cancel terminates a whole thread.
      concurrentTasksPerWorker: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      execArgv: filename.endsWith('.ts') ? ['--import', 'tsx'] : [],
    });
  }

  get size(): number {
    return this.opts.size;
  }

  get busy(): number {
    return this.running;
  }

  get idle(): number {
    return this.opts.size - this.running;
  }

  run(ticketId: string, taskType: TaskType, params: Record<string, unknown>,
    onProgress: ProgressListener): RunHandle {
    const { port1, port2 } = new MessageChannel();
    const kill = new AbortController();
    const nativeGate = new Int32Array(new SharedArrayBuffer(8));
    const request: WorkerRequest = { ticketId, taskType, params, port: port2, env: this.opts.env, nativeGate };
    port1.on('message', (ev: WorkerEvent) => {
      if (ev.type === 'progress') onProgress(ev.step, ev.total, ev.preview);
    });
    this.running++;
    const done: Promise<WorkerResponse> = this.piscina
      .run(request, { transferList: [port2], signal: kill.signal })
      .then(
        // A run stopped because the pool closes is interrupted, not cancelled or failed by its own fault.
        (res: WorkerResponse) => (this.closing && !res.ok ? SHUTDOWN : res),
        (err: unknown): WorkerResponse => {
          if (kill.signal.aborted) return { ok: false, cancelled: true, message: 'Task cancelled (worker terminated)' };
          if (this.closing) return SHUTDOWN;
          const message = err instanceof Error ? err.message : String(err);
          return { ok: false, cancelled: false, code: 'worker_crashed', message: 'The worker running this task crashed.', detail: message };
        },
      )
      .finally(() => {
        this.running--;
        this.active.delete(handle);
        port1.close();
      });
    const cancel = async (): Promise<void> => {
      port1.postMessage({ type: 'cancel' });
      let timer: NodeJS.Timeout;
      // Past the grace period the thread is terminated, but never inside a native run (that
      // aborts the process); a run ends on its own, and the cancel check right after it stops
      // a cooperative pipeline, so the wait is bounded by one model run.
      const expire = () => {
        if (mayTerminate(nativeGate)) kill.abort(new Error('cancel grace period expired'));
        else timer = setTimeout(expire, 50);
      };
      timer = setTimeout(expire, this.opts.cancelGraceMs);
      await done;
      clearTimeout(timer!);
    };
    const handle: RunHandle = { done, cancel };
    this.active.add(handle);
    return handle;
  }

  /**
   * Stops what still runs the way cancel does (cooperatively, then by terminating the thread
   * outside native code after the grace period): Piscina's own close would wait for running tasks.
   * Their handles report `interrupted: 'shutdown'`, so the queue re-queues them.
   */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.active].map((h) => h.cancel()));
    await this.piscina.close({ force: true });
  }
}
