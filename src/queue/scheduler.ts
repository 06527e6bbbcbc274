/**
 * The embedded scheduler: accepts tasks into the durable store, keeps the fair in-memory
 * queue, and feeds the worker pool. The store is the truth; the queue is an index over its
 * `Queueing` rows, rebuilt on start, so a crash loses nothing that was accepted.
 */
import type { Logger } from '../infra/logging.js';
import { batchKeyOf, type BatchKey } from '../pipelines/batch-key.js';
import type { NewTask, TaskStore } from '../store/task-store.js';
import type { Progress, TaskRecord, TaskStatus } from '../tasks/types.js';
import { FairQueue, type QueueEntry } from './fair-queue.js';
import { queueFullError } from './queue-full.js';
import { TaskEvents } from './task-events.js';
import type { CancelOutcome, TaskFrontend } from './task-frontend.js';
import { TaskLifecycle, type LifecycleDeps, type TaskRunner } from './task-lifecycle.js';

export interface SchedulerLimits {
  maxQueued: number;
  maxQueuedPerUser: number;
  maxAttempts: number;
  /** Cross-request batching: images one batch may hold (1 = off) and how long a claim waits to fill one. */
  maxBatch?: number;
  batchWaitMs?: number;
}

export type { CancelOutcome } from './task-frontend.js';

export class Scheduler implements TaskFrontend {
  private readonly queue = new FairQueue();
  private readonly tasks: TaskLifecycle;
  private pumping = false;
  /**
   * Slots promised to claims not yet on the pool (whose `idle` still counts them): fill() between
   * taking a task off the queue and launching it. (A claim at insert is on the pool at once.)
   */
  private starting = 0;
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
    /** Publishes finished results (S3 upload) and removes those of cancelled tasks; see LifecycleDeps. */
    results?: LifecycleDeps['results'],
  ) {
    this.tasks = new TaskLifecycle({
      runner, store, results, log, maxAttempts: limits.maxAttempts,
      hooks: {
        requeued: (rec) => {
          this.queue.pushFront(rec.ticket_id, rec.user_id, batchKeyOf(rec.task_type, rec.params));
          void this.emitStatus(rec.ticket_id, 'Queueing');
        },
        progress: (id, progress) => this.events.emit('progress', id, progress),
        status: (id, status) => this.emitStatus(id, status),
        settled: () => this.pump(),
      },
    });
  }

  async start(): Promise<void> {
    const report = await this.store.recoverInterrupted(this.limits.maxAttempts, new Date().toISOString());
    if (report.requeued.length || report.failed.length) {
      this.log.warn({ requeued: report.requeued.length, failed: report.failed.length }, 'recovered tasks interrupted by a restart');
    }
    for (const t of await this.store.listQueued()) {
      this.queue.push(t.ticket_id, t.user_id, t.batch_key ? { key: t.batch_key, images: t.batch_images } : null);
    }
    this.log.info({ queued: this.queue.size }, 'queue rebuilt from the store');
    this.pump();
  }

  /** Capacity check, durable insert, enqueue. Throws ApiError 429 when full. */
  async submit(task: NewTask): Promise<TaskRecord> {
    const full = { userId: task.user_id, slots: this.runner.size };
    if (this.queue.size >= this.limits.maxQueued) {
      throw queueFullError({ ...full, scope: 'global', depth: this.queue.size, limit: this.limits.maxQueued });
    }
    const mine = this.queue.sizeOf(task.user_id);
    if (mine >= this.limits.maxQueuedPerUser) {
      throw queueFullError({ ...full, scope: 'user', depth: mine, limit: this.limits.maxQueuedPerUser });
    }
    const batch = batchKeyOf(task.task_type, task.params);
    const row: NewTask = { ...task, batch_key: batch?.key ?? null, batch_images: batch?.images ?? 1 };
    if (this.claimsAtInsert(row.ticket_id, batch)) return this.submitClaimed(row);
    const record = await this.store.create(row);
    this.queue.push(record.ticket_id, record.user_id, batch);
    this.events.emit('status', record.ticket_id, 'Queueing', record);
    this.pump();
    return record;
  }

  /**
   * Claim at insert: only for the task the next claim would take anyway. Nothing is queued, so
   * no user waits ahead of it and the fair rotation would serve it first (a task queued after this
   * decision arrived later); a slot is free beyond those already promised; claims are not held; and
   * it cannot lead a cross-request batch (filling one reads the queue, so with BACKSERV_MAX_BATCH > 1
   * a batchable task takes the queue path). The store must support it (SQLite does). (A ticket id
   * already running here, which only a caller reusing one can send, takes the queue path, where
   * its insert is refused before anything runs.)
   */
  private claimsAtInsert(ticketId: string, batch: BatchKey | null): boolean {
    return this.store.createClaimed !== undefined && !this.stopped && !this.paused && this.queue.size === 0
      && this.runner.idle - this.starting > 0 && (!batch || (this.limits.maxBatch ?? 1) <= batch.images)
      && !this.tasks.has(ticketId);
  }

  /**
   * The insert writes the task In Progress (attempt 1) in the group commit: no claim write and no
   * scheduler turn of its own. The run is posted to the pool first, so the worker's wake-up
   * overlaps the write; the lifecycle records its outcome only after the commit, and stops and
   * discards a run whose insert is refused (its submit fails as any refused insert does). The
   * claim was decided here: a pause() or stop() that comes while it commits finds it running, like
   * any task claimed before it. Clients see what they see today: a 202 saying Queueing, then the
   * Queueing and In Progress status events.
   */
  private async submitClaimed(task: NewTask): Promise<TaskRecord> {
    const claim = this.store.createClaimed!(task, this.servName);
    const rec = await this.tasks.launch(claim.record, claim.commit)!;
    const accepted: TaskRecord = { ...rec, status: 'Queueing', serv_name: task.serv_name, started_at: null, attempts: 0 };
    this.events.emit('status', rec.ticket_id, 'Queueing', accepted);
    this.events.emit('status', rec.ticket_id, 'In Progress', rec);
    return accepted;
  }

  queuePosition(ticketId: string): number | null {
    return this.queue.position(ticketId);
  }

  /** Live progress of a running task (fresher than the store's throttled copy). */
  liveProgress(ticketId: string): Progress | null {
    return this.tasks.progress(ticketId);
  }

  async queueStats(): Promise<{ queued: number; running: number }> {
    return { queued: this.queue.size, running: this.tasks.size };
  }

  async cancel(ticketId: string): Promise<CancelOutcome> {
    const now = () => new Date().toISOString();
    if (this.queue.remove(ticketId)) {
      const was = await this.store.cancel(ticketId, now());
      await this.emitStatus(ticketId, 'Cancelled');
      return { kind: 'cancelled', was: was ?? 'Queueing' };
    }
    // A running task is stopped first; its settle records the cancel, so report what it became.
    const ran = await this.tasks.stop(ticketId);
    const was = await this.store.cancel(ticketId, now());
    if (was) {
      // Claimed but not yet launched when stop() looked: stop it now that it runs, so it does
      // not run to the end (its settle then removes any file it wrote).
      if (was === 'In Progress' && !ran) await this.tasks.stop(ticketId);
      await this.emitStatus(ticketId, 'Cancelled');
      return { kind: 'cancelled', was };
    }
    const rec = await this.store.get(ticketId);
    if (!rec) return { kind: 'not_found' };
    if (rec.status === 'Cancelled' && ran) {
      // The worker stopped and its settle() recorded the cancel.
      await this.emitStatus(ticketId, 'Cancelled');
      return { kind: 'cancelled', was: 'In Progress' };
    }
    return { kind: 'final', status: rec.status };
  }

  /**
   * Resolves when nothing is queued, being claimed or running (tests, graceful shutdown). A task
   * being claimed has left the queue but is not yet running (markStarted is awaited between the
   * two), so a claim in progress counts as not idle; one claimed at insert runs from its submit.
   */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stop claiming; running tasks are left to the pool's shutdown (and to recovery on restart). */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Graceful shutdown, first half: stop claiming and give running tasks up to `ms` to finish.
   * Whatever still runs is stopped by the pool's close and re-queued by its settle (the
   * attempt not counted); `settled()` waits for those records.
   */
  async drain(ms: number): Promise<boolean> {
    this.stopped = true;
    const idle = await this.tasks.drain(ms);
    if (!idle) this.log.warn({ running: this.tasks.size, drain_ms: ms }, 'drain time is up; re-queueing what still runs');
    return idle;
  }

  /** Every running task's outcome is recorded (after the pool has closed). */
  settled(): Promise<void> {
    return this.tasks.whenIdle();
  }

  /** Hold claims (drain mode for maintenance); queued tasks stay queued and cancellable. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  private pump(): void {
    if (this.pumping || this.stopped || this.paused) return;
    this.pumping = true;
    void this.fill().finally(() => {
      this.pumping = false;
      if (this.runner.idle - this.starting > 0 && this.queue.size > 0) this.pump();
      this.notifyIdle();
    });
  }

  private async fill(): Promise<void> {
    while (!this.stopped && !this.paused && this.runner.idle - this.starting > 0) {
      const next = this.queue.shift();
      if (!next) return;
      let recs: TaskRecord[];
      this.starting++;
      try {
        const rec = await this.store.markStarted(next.ticketId, this.servName, new Date().toISOString());
        recs = rec ? [rec, ...await this.batchWith(next)] : []; // null: cancelled or finished meanwhile
      } finally {
        this.starting--;
      }
      if (recs.length === 0) continue;
      for (const r of recs) this.events.emit('status', r.ticket_id, 'In Progress', r);
      this.tasks.launchBatch(recs);
    }
  }

  /**
   * Cross-request batching: the tasks that join `lead` in its UNet batch, claimed (each In Progress
   * on its own attempt) from the users the fair rotation serves next. Waits up to batchWaitMs for
   * more compatible work when the queue cannot fill the batch yet.
   */
  private async batchWith(lead: QueueEntry): Promise<TaskRecord[]> {
    const max = this.limits.maxBatch ?? 1;
    if (!lead.batch || max <= lead.batch.images) return [];
    const room = max - lead.batch.images;
    const wait = this.limits.batchWaitMs ?? 0;
    if (wait > 0 && this.queue.compatibleImages(lead.batch.key) < room) await new Promise((r) => setTimeout(r, wait));
    const out: TaskRecord[] = [];
    for (const e of this.queue.takeCompatible(lead.batch.key, room)) {
      const rec = await this.store.markStarted(e.ticketId, this.servName, new Date().toISOString());
      if (rec) out.push(rec);
    }
    return out;
  }

  private async emitStatus(ticketId: string, status: TaskStatus): Promise<void> {
    if (this.events.listenerCount('status') === 0) return;
    this.events.emit('status', ticketId, status, await this.store.get(ticketId));
  }

  private isIdle(): boolean {
    return this.queue.size === 0 && this.tasks.size === 0 && !this.pumping && this.starting === 0;
  }

  private notifyIdle(): void {
    if (this.isIdle()) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }
}
