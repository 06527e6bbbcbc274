/**
 * The API process's side of the worker hosts: a TaskPool whose workers are child processes
 * (host-main.ts), one per slot, each running one task at a time. Each host is supervised: when it
 * dies (a native crash, an abort, an OOM kill), only the task it was running ends, with
 * `interrupted: 'host_crash'` so the queue can re-queue it with the attempt counted; a new host
 * starts in that slot after a back-off, and runs issued meanwhile go to the other slots or wait.
 * HTTP never stops answering, since nothing native runs in this process.
 *
 * Recycling: a worker is replaced after `maxTasks` tasks, or when its RSS is above `maxRssBytes`
 * right after a task. The unit recycled is the process, not the Piscina thread: ONNX Runtime's
 * arenas and sessions, libvips' caches and glibc's malloc arenas belong to the process, and a
 * thread that exits leaves most of that memory mapped (native finalizers may not run, and freed
 * malloc memory is rarely returned to the OS); only the end of the process returns it all. That is
 * why each worker is a process of its own: one worker can be recycled without touching the others.
 * A recycle never fails or repeats a task: the worker takes no new task once it is due (drain),
 * its running task has already ended (the check runs when it reports a task done), and only then
 * is it asked to close and a fresh process started in its slot. Other slots keep running
 * meanwhile; a run issued while this slot restarts goes to another free slot or waits for one.
 */
import type { Logger } from '../../infra/logging.js';
import type { TaskType } from '../../tasks/types.js';
import type { WorkerResponse } from '../messages.js';
import type { PoolOptions } from '../pool.js';
import type { BatchMember, ProgressListener, RecycleReason, RunHandle, TaskPool, WorkerStats } from '../task-pool.js';
import { HostProcess } from './host-process.js';
import { workerNice } from './lower-priority.js';
import type { FromHost, HostMemory } from './protocol.js';

export interface HostCrash {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Tasks that were running in the host when it died. */
  tasks: number;
}

export interface RecycleLimits {
  /** Tasks a worker process runs before it is replaced; 0 = no limit. */
  maxTasks: number;
  /** RSS (bytes) above which a worker process is replaced after its task; 0 = no limit. */
  maxRssBytes: number;
}

export interface HostPoolOptions {
  /** `size` is the number of worker processes; each runs a pool of one thread. */
  pool: PoolOptions;
  log: Logger;
  onCrash?(crash: HostCrash): void;
  recycle?: RecycleLimits;
  /** How much lower than this process's priority the worker processes run (nice delta; 0 or absent: the same). */
  niceDelta?: number;
  /** First restart delay; doubles per crash in a row up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

interface Run {
  ticketId: string;
  taskType: TaskType;
  params: Record<string, unknown>;
  onProgress: ProgressListener;
  resolve(res: WorkerResponse): void;
  /** The slot running it (null: waiting for a free one). */
  slot: Slot | null;
  cancelRequested: boolean;
  /** Every member id of its batch (cross-request batching: one worker runs them together); null: a single task. */
  batch: number[] | null;
  /** Its own id, or its batch's first: runs of one group take one worker. */
  group: number;
}

interface Slot {
  index: number;
  host: HostProcess | null;
  ready: boolean;
  /** The runs this worker holds: one task, or the members of one batch still running. */
  runIds: number[];
  /** Tasks the current process has finished. */
  tasks: number;
  /** Set once a recycle is due: the worker takes no task and is replaced when its process has exited. */
  retiring: RecycleReason | null;
  memory: HostMemory | null;
  /** RSS when the process became ready, before any model was loaded. */
  baselineRss: number | null;
  crashesInARow: number;
  startedAt: number;
  restartTimer: NodeJS.Timeout | null;
}

/** A host that stayed up this long ends a crash streak: the next crash restarts at once again. */
const STABLE_MS = 60_000;
/** How long a host asked to close may take before it is killed. */
const CLOSE_KILL_MS = 10_000;

export class HostPool implements TaskPool {
  private closing = false;
  private nextId = 1;
  private readonly runs = new Map<number, Run>();
  private readonly slots: Slot[];
  private readonly recycles: Record<RecycleReason, number> = { max_tasks: 0, max_rss: 0 };

  constructor(private readonly opts: HostPoolOptions) {
    this.slots = Array.from({ length: opts.pool.size }, (_, index): Slot => ({
      index, host: null, ready: false, runIds: [], tasks: 0, retiring: null, memory: null, baselineRss: null,
      crashesInARow: 0, startedAt: 0, restartTimer: null,
    }));
    for (const slot of this.slots) this.start(slot);
  }

  get size(): number {
    return this.opts.pool.size;
  }

  /** Runs waiting or running, a batch counting once (it takes one worker). */
  get busy(): number {
    return new Set([...this.runs.values()].map((r) => r.group)).size;
  }

  get idle(): number {
    return this.size - this.busy;
  }

  run(ticketId: string, taskType: TaskType, params: Record<string, unknown>,
    onProgress: ProgressListener): RunHandle {
    const id = this.nextId++;
    const done = new Promise<WorkerResponse>((resolve) => {
      this.runs.set(id, { ticketId, taskType, params, onProgress, resolve, slot: null, cancelRequested: false, batch: null, group: id });
    });
    this.dispatch();
    return { done, cancel: this.canceller(id, done) };
  }

  runBatch(taskType: TaskType, members: readonly BatchMember[]): RunHandle[] {
    const ids = members.map(() => this.nextId++);
    const dones = members.map((m, i) => new Promise<WorkerResponse>((resolve) => {
      this.runs.set(ids[i], { ...m, taskType, resolve, slot: null, cancelRequested: false, batch: ids, group: ids[0] });
    }));
    this.dispatch();
    return dones.map((done, i) => ({ done, cancel: this.canceller(ids[i], done) }));
  }

  /** Cancel of one run (a batch member alone): asked of its worker, or settled at once while it waits. */
  private canceller(id: number, done: Promise<WorkerResponse>): () => Promise<void> {
    return async () => {
      const run = this.runs.get(id);
      if (run && !run.cancelRequested) {
        run.cancelRequested = true;
        if (run.slot) run.slot.host?.post({ type: 'cancel', id });
        else this.finish(id, { ok: false, cancelled: true, message: 'Task cancelled' });
      }
      await done;
    };
  }

  workerStats(): WorkerStats {
    return {
      workers: this.slots.map((s) => ({
        worker: s.index,
        pid: s.ready ? s.host?.pid ?? null : null,
        rssBytes: s.memory?.rss ?? null,
        arenaBytes: s.memory && s.baselineRss !== null ? Math.max(0, s.memory.rss - s.baselineRss) : null,
        tasks: s.tasks,
      })),
      recycles: { ...this.recycles },
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const slot of this.slots) if (slot.restartTimer) clearTimeout(slot.restartTimer);
    await Promise.all(this.slots.map((s) => s.host?.close(CLOSE_KILL_MS)));
    // Whatever had not finished was stopped by the shutdown, not by a fault of its own.
    for (const id of [...this.runs.keys()]) {
      this.finish(id, { ok: false, cancelled: false, code: 'worker_crashed', message: 'The server shut down while the task ran.', interrupted: 'shutdown' });
    }
  }

  private start(slot: Slot): void {
    slot.ready = false;
    slot.tasks = 0;
    slot.memory = null;
    slot.baselineRss = null;
    slot.startedAt = Date.now();
    const host: HostProcess = new HostProcess({ ...this.opts.pool, size: 1 }, {
      // A message or exit of a process this slot has already let go of changes nothing.
      message: (msg) => { if (slot.host === host) this.onMessage(slot, msg); },
      exit: (code, signal) => { if (slot.host === host) this.onExit(slot, code, signal); },
    }, this.opts.log, {
      ...(this.opts.niceDelta ? { nice: workerNice(this.opts.niceDelta) } : {}),
      // Only an RSS limit needs a measurement after every task (process.memoryUsage() costs ~15-25 µs).
      memoryAfterTask: (this.opts.recycle?.maxRssBytes ?? 0) > 0,
    });
    slot.host = host;
  }

  private onMessage(slot: Slot, msg: FromHost): void {
    if (msg.type === 'ready') {
      slot.ready = true;
      slot.memory = msg.memory;
      slot.baselineRss = msg.memory.rss;
      this.opts.log.info({ pid: slot.host?.pid, worker: slot.index }, 'worker host ready');
      this.dispatch();
    } else if (msg.type === 'progress') {
      this.runs.get(msg.id)?.onProgress(msg.step, msg.total, msg.preview);
    } else if (msg.type === 'memory') {
      slot.memory = msg.memory;
    } else {
      if (msg.memory) slot.memory = msg.memory;
      slot.runIds = slot.runIds.filter((id) => id !== msg.id);
      slot.tasks++;
      this.finish(msg.id, msg.response);
      // A batch holds its worker until its last member is done; only then may it be recycled.
      if (slot.runIds.length > 0) return;
      const reason = this.recycleReason(slot);
      if (reason) this.retire(slot, reason);
      else this.dispatch();
    }
  }

  private recycleReason(slot: Slot): RecycleReason | null {
    const limits = this.opts.recycle;
    if (!limits || this.closing) return null;
    if (limits.maxTasks > 0 && slot.tasks >= limits.maxTasks) return 'max_tasks';
    if (limits.maxRssBytes > 0 && (slot.memory?.rss ?? 0) > limits.maxRssBytes) return 'max_rss';
    return null;
  }

  /** Drained (it holds no run and takes none now): close the process; onExit starts its successor. */
  private retire(slot: Slot, reason: RecycleReason): void {
    slot.retiring = reason;
    slot.ready = false;
    this.opts.log.info({ worker: slot.index, pid: slot.host?.pid, reason, tasks: slot.tasks, rss: slot.memory?.rss }, 'recycling worker');
    void slot.host?.close(CLOSE_KILL_MS);
  }

  private onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    slot.ready = false;
    const retired = slot.retiring;
    slot.retiring = null;
    const lostIds = slot.runIds;
    slot.runIds = [];
    // Every run it held (each member of a batch on its own) ends as a single task would.
    for (const lostId of lostIds) {
      const run = this.runs.get(lostId);
      this.finish(lostId, run?.cancelRequested
        ? { ok: false, cancelled: true, message: 'Task cancelled (worker host ended)' }
        : { ok: false, cancelled: false, code: 'worker_crashed', message: 'The worker process running this task crashed.', detail: `worker host exited with ${signal ?? `code ${code}`}`, interrupted: 'host_crash' });
    }
    if (this.closing) return;
    if (retired && lostIds.length === 0) {
      // A recycle, not a crash: the successor starts at once.
      this.recycles[retired]++;
      this.start(slot);
      return;
    }
    slot.crashesInARow = Date.now() - slot.startedAt > STABLE_MS ? 1 : slot.crashesInARow + 1;
    const delay = Math.min(this.opts.maxBackoffMs ?? 30_000, (this.opts.backoffMs ?? 250) * 2 ** (slot.crashesInARow - 1));
    const lost = lostIds.length;
    this.opts.log.error({ code, signal, worker: slot.index, tasks: lost, restart_in_ms: delay }, `worker host died (${signal ?? `exit code ${code}`}); restarting`);
    this.opts.onCrash?.({ code, signal, tasks: lost });
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      if (!this.closing) this.start(slot);
    }, delay);
  }

  /** Hands waiting runs (a batch as one), oldest first, to ready workers that hold none. */
  private dispatch(): void {
    for (const [id, run] of this.runs) {
      if (run.slot) continue;
      const slot = this.slots.find((s) => s.ready && s.retiring === null && s.runIds.length === 0);
      if (!slot) return;
      if (run.batch) {
        // The members still waiting (one may have been cancelled meanwhile) go as one batch.
        const ids = run.batch.filter((m) => this.runs.get(m)?.slot === null);
        const members = ids.map((m) => this.runs.get(m)!);
        for (const m of members) m.slot = slot;
        slot.runIds = ids;
        slot.host?.post({ type: 'runBatch', ids, taskType: run.taskType, members: members.map((m) => ({ ticketId: m.ticketId, params: m.params })) });
        continue;
      }
      run.slot = slot;
      slot.runIds = [id];
      slot.host?.post({ type: 'run', id, ticketId: run.ticketId, taskType: run.taskType, params: run.params });
    }
  }

  private finish(id: number, res: WorkerResponse): void {
    const run = this.runs.get(id);
    if (!run) return;
    this.runs.delete(id);
    run.resolve(res);
  }
}
