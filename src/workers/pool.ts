/**
 * Piscina pool running pipelines. Progress and cooperative cancel travel on the pool's one
 * channel (run-channel.ts), each message naming its run; a worker that ignores cancel for
 * `cancelGraceMs` is terminated (Piscina aborts the task, removes the thread and starts a fresh
 * one), so cancel always frees the slot.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { mayTerminate } from '../runtime/native-gate.js';
import type { TaskType } from '../tasks/types.js';
import type { BatchRequest, PoolWorkerData, WorkerEvent, WorkerRequest, WorkerResponse } from './messages.js';
import type { WorkerEnv } from '../pipelines/worker-env.js';
import type { BatchMember, ProgressListener, RunHandle, TaskPool } from './task-pool.js';
import { KillSwitch } from './kill-switch.js';
import { CANCEL_SLOT, newGate, PoolChannel } from './run-channel.js';

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
  private readonly channel = new PoolChannel();

  constructor(private readonly opts: PoolOptions) {
    const filename = opts.workerFile ?? defaultWorkerFile();
    // The settings go to each thread once, when it starts, not structured-cloned with every run.
    const workerData: PoolWorkerData = { env: opts.env, channel: this.channel.name };
    this.piscina = new Piscina({
      filename,
      workerData,
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
    const kill = new KillSwitch();
    const nativeGate = newGate();
    const run = this.channel.open((ev: WorkerEvent) => {
      if (ev.type === 'progress') onProgress(ev.step, ev.total, ev.preview);
    });
    const request: WorkerRequest = { ticketId, taskType, params, run, nativeGate };
    this.running++;
    const done: Promise<WorkerResponse> = this.piscina
      .run(request, { signal: kill })
      .then(
        // A run stopped because the pool closes is interrupted, not cancelled or failed by its own fault.
        (res: WorkerResponse) => (this.closing && !res.ok ? SHUTDOWN : res),
        (err: unknown): WorkerResponse => {
          if (kill.aborted) return { ok: false, cancelled: true, message: 'Task cancelled (worker terminated)' };
          if (this.closing) return SHUTDOWN;
          const message = err instanceof Error ? err.message : String(err);
          return { ok: false, cancelled: false, code: 'worker_crashed', message: 'The worker running this task crashed.', detail: message };
        },
      )
      .finally(() => {
        this.running--;
        this.active.delete(handle);
        this.channel.release(run);
      });
    const cancel = async (): Promise<void> => {
      this.channel.cancel(run, nativeGate, CANCEL_SLOT);
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
   * One slot runs every member. A member's cancel goes to its run and the worker answers it at
   * once; the thread is terminated (after the grace period, outside native code) only once every
   * member has asked to stop, since terminating it would end the others too.
   */
  runBatch(taskType: TaskType, members: readonly BatchMember[]): RunHandle[] {
    const kill = new KillSwitch();
    const nativeGate = newGate(members.length);
    const settles: ((res: WorkerResponse) => void)[] = [];
    const finished = members.map(() => false);
    const dones = members.map((_, i) => new Promise<WorkerResponse>((resolve) => {
      settles[i] = (res) => { finished[i] = true; resolve(res); };
    }));
    const runs = members.map((m, i) => this.channel.open((ev: WorkerEvent) => {
      if (ev.type === 'progress') m.onProgress(ev.step, ev.total, ev.preview);
      else settles[i](this.closing && !ev.response.ok ? SHUTDOWN : ev.response);
    }));
    const request: BatchRequest = {
      kind: 'batch', taskType, nativeGate,
      members: members.map((m, i) => ({ ticketId: m.ticketId, params: m.params, run: runs[i] })),
    };
    this.running++;
    const whole: Promise<void> = this.piscina
      .run(request, { signal: kill })
      .then(
        (res: WorkerResponse[]) => res.forEach((r, i) => settles[i](this.closing && !r.ok ? SHUTDOWN : r)),
        (err: unknown) => {
          const message = err instanceof Error ? err.message : String(err);
          for (const settle of settles) {
            settle(kill.aborted ? { ok: false, cancelled: true, message: 'Task cancelled (worker terminated)' }
              : this.closing ? SHUTDOWN : { ok: false, cancelled: false, code: 'worker_crashed', message: 'The worker running this task crashed.', detail: message });
          }
        },
      )
      .finally(() => {
        this.running--;
        for (const h of handles) this.active.delete(h);
        for (const run of runs) this.channel.release(run);
      });
    const asked = members.map(() => false);
    const handles: RunHandle[] = members.map((_, i) => ({
      done: dones[i],
      cancel: async () => {
        this.channel.cancel(runs[i], nativeGate, CANCEL_SLOT + i);
        asked[i] = true;
        let timer: NodeJS.Timeout | undefined;
        if (members.every((_, j) => asked[j] || finished[j])) {
          const expire = () => {
            if (mayTerminate(nativeGate)) kill.abort(new Error('cancel grace period expired'));
            else timer = setTimeout(expire, 50);
          };
          timer = setTimeout(expire, this.opts.cancelGraceMs);
          // The slot is free only once the whole batch has let go of the thread.
          await whole;
        }
        await dones[i];
        clearTimeout(timer);
      },
    }));
    for (const h of handles) this.active.add(h);
    return handles;
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
    this.channel.close();
  }
}
