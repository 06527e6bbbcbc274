/**
 * The embedded scheduler: accepts tasks into the durable store, keeps the fair in-memory
 * queue, and feeds the worker pool. The store is the truth; the queue is an index over its
 * `Queueing` rows, rebuilt on start, so a crash loses nothing that was accepted.
 */
import { queueFull } from '../tasks/errors.js';
import type { Logger } from '../infra/logging.js';
import type { NewTask, TaskStore } from '../store/task-store.js';
import type { Progress, TaskRecord, TaskStatus, TaskType } from '../tasks/types.js';
import type { WorkerResponse } from '../workers/messages.js';
import type { RunHandle } from '../workers/task-pool.js';
import { FairQueue } from './fair-queue.js';
import { TaskEvents } from './task-events.js';
import type { CancelOutcome, TaskFrontend } from './task-frontend.js';

/** What the scheduler needs from a pool (the Piscina pool, or a stand-in in unit tests). */
export interface TaskRunner {
  readonly size: number;
  readonly idle: number;
  run(ticketId: string, taskType: TaskType, params: Record<string, unknown>,
    onProgress: (step: number, total: number) => void): RunHandle;
}

export interface SchedulerLimits {
  maxQueued: number;
  maxQueuedPerUser: number;
  maxAttempts: number;
}

export type { CancelOutcome } from './task-frontend.js';

interface Running {
  handle: RunHandle;
  progress: Progress | null;
  lastWrite: number;
  cancelling: Promise<void> | null;
}

const PROGRESS_WRITE_INTERVAL_MS = 250;

export class Scheduler implements TaskFrontend {
  private readonly queue = new FairQueue();
  private readonly running = new Map<string, Running>();
  private pumping = false;
  private stopped = false;
  private paused = false;
  private readonly idleWaiters: (() => void)[] = [];
  /** Status changes and progress of tasks on this node. */
  readonly events = new TaskEvents();

  constructor(
    private readonly store: TaskStore,
    private readonly runner: TaskRunner,
    private readonly servName: string,
    private readonly limits: SchedulerLimits,
    private readonly log: Logger,
    /** Makes a finished result reachable (S3 upload); default: it already is (results folder). */
    private readonly publish: (file: string, contentType: string) => Promise<void> = async () => undefined,
  ) {}

  async start(): Promise<void> {
    const report = await this.store.recoverInterrupted(this.limits.maxAttempts, new Date().toISOString());
    if (report.requeued.length || report.failed.length) {
      this.log.warn({ requeued: report.requeued.length, failed: report.failed.length }, 'recovered tasks interrupted by a restart');
    }
    for (const t of await this.store.listQueued()) this.queue.push(t.ticket_id, t.user_id);
    this.log.info({ queued: this.queue.size }, 'queue rebuilt from the store');
    this.pump();
  }

  /** Capacity check, durable insert, enqueue. Throws ApiError 429 when full. */
  async submit(task: NewTask): Promise<TaskRecord> {
    if (this.queue.size >= this.limits.maxQueued) {
      throw queueFull(`The server queue is full (${this.limits.maxQueued} tasks waiting); retry later.`, this.retryAfter(this.queue.size));
    }
    const mine = this.queue.sizeOf(task.user_id);
    if (mine >= this.limits.maxQueuedPerUser) {
      throw queueFull(`user_id ${task.user_id} already has ${mine} tasks waiting (limit ${this.limits.maxQueuedPerUser}); retry when some finish.`, this.retryAfter(mine));
    }
    const record = await this.store.create(task);
    this.queue.push(record.ticket_id, record.user_id);
    this.events.emit('status', record.ticket_id, 'Queueing', record);
    this.pump();
    return record;
  }

  queuePosition(ticketId: string): number | null {
    return this.queue.position(ticketId);
  }

  /** Live progress of a running task (fresher than the store's throttled copy). */
  liveProgress(ticketId: string): Progress | null {
    return this.running.get(ticketId)?.progress ?? null;
  }

  async queueStats(): Promise<{ queued: number; running: number }> {
    return { queued: this.queue.size, running: this.running.size };
  }

  get queuedCount(): number {
    return this.queue.size;
  }

  get runningCount(): number {
    return this.running.size;
  }

  async cancel(ticketId: string): Promise<CancelOutcome> {
    const now = () => new Date().toISOString();
    if (this.queue.remove(ticketId)) {
      const was = await this.store.cancel(ticketId, now());
      await this.emitStatus(ticketId, 'Cancelled');
      return { kind: 'cancelled', was: was ?? 'Queueing' };
    }
    const run = this.running.get(ticketId);
    if (run) {
      run.cancelling ??= run.handle.cancel();
      await run.cancelling;
      // The completion handler has settled the record by now; report what it became.
    }
    const was = await this.store.cancel(ticketId, now());
    if (was) {
      await this.emitStatus(ticketId, 'Cancelled');
      return { kind: 'cancelled', was };
    }
    const rec = await this.store.get(ticketId);
    if (!rec) return { kind: 'not_found' };
    if (rec.status === 'Cancelled' && run) {
      // The worker stopped and its settle() recorded the cancel.
      await this.emitStatus(ticketId, 'Cancelled');
      return { kind: 'cancelled', was: 'In Progress' };
    }
    return { kind: 'final', status: rec.status };
  }

  /** Resolves when nothing is queued or running (tests, graceful shutdown). */
  whenIdle(): Promise<void> {
    if (this.queue.size === 0 && this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stop claiming; running tasks are left to the pool's shutdown (and to recovery on restart). */
  stop(): void {
    this.stopped = true;
  }

  /** Hold claims (drain mode for maintenance); queued tasks stay queued and cancellable. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  private retryAfter(depth: number): number {
    return Math.min(600, Math.max(1, Math.ceil(depth / Math.max(1, this.runner.size))));
  }

  private pump(): void {
    if (this.pumping || this.stopped || this.paused) return;
    this.pumping = true;
    void this.fill().finally(() => {
      this.pumping = false;
      if (this.runner.idle > 0 && this.queue.size > 0) this.pump();
      this.notifyIdle();
    });
  }

  private async fill(): Promise<void> {
    while (!this.stopped && !this.paused && this.runner.idle > 0) {
      const next = this.queue.shift();
      if (!next) return;
      const rec = await this.store.markStarted(next.ticketId, this.servName, new Date().toISOString());
      if (!rec) continue; // cancelled or finished meanwhile
      this.events.emit('status', rec.ticket_id, 'In Progress', rec);
      this.launch(rec);
    }
  }

  private launch(rec: TaskRecord): void {
    const log = this.log.child({ ticket_id: rec.ticket_id, task_type: rec.task_type });
    log.info({ attempt: rec.attempts }, 'task started');
    const entry: Running = { handle: undefined as unknown as RunHandle, progress: null, lastWrite: 0, cancelling: null };
    entry.handle = this.runner.run(rec.ticket_id, rec.task_type, rec.params, (step, total) => {
      entry.progress = { step, total, percent: total > 0 ? Math.round((1000 * step) / total) / 10 : 0 };
      this.events.emit('progress', rec.ticket_id, entry.progress);
      const t = Date.now();
      if (t - entry.lastWrite >= PROGRESS_WRITE_INTERVAL_MS || step === total) {
        entry.lastWrite = t;
        void this.store.setProgress(rec.ticket_id, entry.progress);
      }
    });
    this.running.set(rec.ticket_id, entry);
    void entry.handle.done
      .then((res) => this.settle(rec.ticket_id, res, log))
      .catch((err: unknown) => log.error({ err }, 'failed to record task outcome'))
      .finally(() => {
        this.running.delete(rec.ticket_id);
        this.pump();
      });
  }

  private async settle(ticketId: string, res: WorkerResponse, log: Logger): Promise<void> {
    const at = new Date().toISOString();
    if (res.ok) {
      try {
        await this.publish(res.result.file, res.result.content_type);
      } catch (err) {
        if (await this.store.fail(ticketId, (err as Error).message, at)) await this.emitStatus(ticketId, 'Failed');
        log.error({ err: (err as Error).message }, 'could not publish the result');
        return;
      }
      if (await this.store.complete(ticketId, res.result, at)) await this.emitStatus(ticketId, 'Completed');
      log.info({ file: res.result.file }, 'task completed');
    } else if (res.cancelled) {
      // The cancel() that asked for this emits the event once the record is final.
      await this.store.cancel(ticketId, at);
      log.info('task cancelled');
    } else {
      if (await this.store.fail(ticketId, res.message, at)) await this.emitStatus(ticketId, 'Failed');
      log.warn({ code: res.code, error: res.message }, 'task failed');
    }
  }

  private async emitStatus(ticketId: string, status: TaskStatus): Promise<void> {
    if (this.events.listenerCount('status') === 0) return;
    this.events.emit('status', ticketId, status, await this.store.get(ticketId));
  }

  private notifyIdle(): void {
    if (this.queue.size === 0 && this.running.size === 0) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }
}
