/**
 * A claimed task's life on this node, the same in embedded and scale-out mode: run it on the
 * pool, report its progress (every report to live views, the store's copy at most every 250 ms),
 * then settle it: publish the result and complete it, record the failure with its error code, or
 * record the cancel. Claiming stays with the caller (the in-memory fair queue over SQLite, or the
 * Redis scripts with their leases); every write is pinned to the claim that ran the task.
 *
 * Cancel is final: a task that ends Cancelled keeps no result file. A result whose cancel is
 * known here before it is published is removed instead of published; one whose completion is
 * refused because the task was cancelled meanwhile (elsewhere, or between publish and complete)
 * is removed after the fact, from the object store too.
 */
import type { Logger } from '../infra/logging.js';
import type { ResultStore } from '../results/result-store.js';
import type { TaskStore } from '../store/task-store.js';
import { resultFiles } from '../tasks/result-files.js';
import type { Progress, ResultMeta, TaskFailure, TaskRecord, TaskStatus } from '../tasks/types.js';
import type { WorkerResponse } from '../workers/messages.js';
import type { RunHandle, TaskPool } from '../workers/task-pool.js';

/** What the lifecycle needs from a pool (a TaskPool, or a stand-in in unit tests; batches need runBatch). */
export type TaskRunner = Pick<TaskPool, 'size' | 'idle' | 'run'> & Partial<Pick<TaskPool, 'runBatch'>>;

/** What the caller adds to the shared steps. Every hook is optional. */
export interface LifecycleHooks {
  /** Every progress report, unthrottled (live views on this node). */
  progress?(ticketId: string, progress: Progress): void;
  /** The lifecycle has just moved the task to `status` (Completed or Failed) in the store. */
  status?(ticketId: string, status: TaskStatus): Promise<void>;
  /** Records a completion (scale-out claims the freed slot's next task in the same call). */
  complete?(rec: TaskRecord, result: ResultMeta, at: string): Promise<boolean>;
  /** Wraps recording the outcome (scale-out retries through a short Redis outage). */
  record?(work: () => Promise<void>): Promise<void>;
  /** The task went back to the queue (its process died, or this node shut down). */
  requeued?(rec: TaskRecord): void;
  /** The task has let go of its slot and its outcome is recorded (or given up on). */
  settled?(ticketId: string): void;
}

export interface LifecycleDeps {
  runner: TaskRunner;
  store: Pick<TaskStore, 'get' | 'setProgress' | 'complete' | 'fail' | 'cancel' | 'interrupt'>;
  /** Starts of one task before a crash that keeps recurring ends it Failed. */
  maxAttempts: number;
  /**
   * Makes a finished result reachable (`publish`: S3 upload; a results folder needs nothing) and
   * removes one that must not stay (`remove`: the result of a task that ended Cancelled).
   */
  results?: Pick<ResultStore, 'publish' | 'remove'>;
  log: Logger;
  hooks?: LifecycleHooks;
}

interface Active {
  record: TaskRecord;
  handle: RunHandle;
  progress: Progress | null;
  lastWrite: number;
  stopping: Promise<void> | null;
  /**
   * A run started while its task's insert commits (claim at insert): true once durable, false if
   * the insert was refused. Null once committed, and for every other claim (durable before its run).
   */
  accepted: Promise<boolean> | null;
  /** Resolves once the outcome is recorded (or given up on) and the slot is free. */
  finished: Promise<void>;
  log: Logger;
}

/** The store's copy of the progress is written at most this often (and at the last step). */
export const PROGRESS_WRITE_INTERVAL_MS = 250;

export function progressOf(step: number, total: number): Progress {
  return { step, total, percent: total > 0 ? Math.round((1000 * step) / total) / 10 : 0 };
}

export class TaskLifecycle {
  private readonly active = new Map<string, Active>();
  private readonly hooks: LifecycleHooks;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly deps: LifecycleDeps) {
    this.hooks = deps.hooks ?? {};
  }

  /** Tasks running on this node. */
  get size(): number {
    return this.active.size;
  }

  /** Resolves once no task runs here and every outcome is recorded (shutdown waits on it). */
  whenIdle(): Promise<void> {
    if (this.active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Like whenIdle, but gives up after `ms`; true if it became idle. */
  async drain(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
    const idle = await Promise.race([this.whenIdle().then(() => true as const), expired]);
    clearTimeout(timer);
    return idle;
  }

  /** Whether the task runs on this node. */
  has(ticketId: string): boolean {
    return this.active.has(ticketId);
  }

  ids(): string[] {
    return [...this.active.keys()];
  }

  /** The latest progress of a task running here (fresher than the store's throttled copy). */
  progress(ticketId: string): Progress | null {
    return this.active.get(ticketId)?.progress ?? null;
  }

  /**
   * Runs a task that the caller has claimed (In Progress, `rec.attempts` = this claim). With
   * `accept`, the claim is not durable yet (claim at insert): the run is posted first and `accept`
   * (which starts the write) right after, so the worker's wake-up overlaps the write and the
   * bookkeeping here; the outcome and progress are stored only once the write is durable, and if
   * it is refused the run is stopped and whatever it produced is discarded (the task never
   * existed). Returns accept's promise.
   */
  launch<T>(rec: TaskRecord, accept?: () => Promise<T>): Promise<T> | undefined {
    const entry = this.newEntry(rec);
    // Pending from before the run: a progress report can never reach the store ahead of the row.
    let decide = (_ok: boolean) => {};
    if (accept) entry.accepted = new Promise<boolean>((resolve) => { decide = resolve; });
    const handle = this.deps.runner.run(rec.ticket_id, rec.task_type, rec.params, (step, total, preview) => this.onProgress(entry, step, total, preview));
    const committed = accept?.();
    committed?.then(() => {
      entry.accepted = null;
      decide(true);
    }, () => {
      // Settled in a later microtask, when watch() below has set the handle to stop.
      entry.stopping ??= entry.handle.cancel();
      decide(false);
    });
    this.track(entry);
    this.watch(entry, handle);
    return committed;
  }

  /**
   * Runs claimed tasks of one type as ONE batch in one slot (cross-request batching). Each member
   * keeps its own progress, cancel and outcome, recorded on its own claim exactly as launch() does,
   * so crash recovery and cancel treat members as the single tasks they are.
   */
  launchBatch(recs: readonly TaskRecord[]): void {
    const runBatch = this.deps.runner.runBatch?.bind(this.deps.runner);
    if (recs.length < 2 || !runBatch) {
      for (const rec of recs) this.launch(rec);
      return;
    }
    const entries = recs.map((rec) => {
      const entry = this.newEntry(rec);
      this.track(entry, recs.length);
      return entry;
    });
    const handles = runBatch(recs[0].task_type, entries.map((entry) => ({
      ticketId: entry.record.ticket_id, params: entry.record.params,
      onProgress: (step: number, total: number, preview?: string) => this.onProgress(entry, step, total, preview),
    })));
    entries.forEach((entry, i) => this.watch(entry, handles[i]));
  }

  /** A task's entry, before its run starts: no log line or bookkeeping on the way to the worker. */
  private newEntry(rec: TaskRecord): Active {
    return {
      record: rec, handle: undefined as unknown as RunHandle, progress: null, lastWrite: 0, stopping: null, accepted: null,
      finished: Promise.resolve(), log: this.deps.log,
    };
  }

  /** Logs the start and tracks the task as running here (under its own logger). */
  private track(entry: Active, batched = 1): void {
    const rec = entry.record;
    entry.log = this.deps.log.child({ ticket_id: rec.ticket_id, task_type: rec.task_type });
    entry.log.info({ attempt: rec.attempts, ...(batched > 1 ? { batch_members: batched } : {}) }, 'task started');
    this.active.set(rec.ticket_id, entry);
  }

  private onProgress(entry: Active, step: number, total: number, preview?: string): void {
    const rec = entry.record;
    // The latest preview stays on every later progress report until a newer one replaces it.
    const last = preview ? { preview, preview_step: step } : entry.progress?.preview ? { preview: entry.progress.preview, preview_step: entry.progress.preview_step } : {};
    entry.progress = { ...progressOf(step, total), ...last };
    this.hooks.progress?.(rec.ticket_id, entry.progress);
    const t = Date.now();
    // A new preview is stored at once (a few per task) so other nodes' views see it.
    if (t - entry.lastWrite < PROGRESS_WRITE_INTERVAL_MS && step !== total && !preview) return;
    entry.lastWrite = t;
    const progress = entry.progress;
    const write = () => this.deps.store.setProgress(rec.ticket_id, progress)
      .catch((err: unknown) => entry.log.debug({ err: (err as Error).message }, 'could not store progress'));
    // Before its row is durable there is nothing to update: the write follows the commit.
    if (entry.accepted) void entry.accepted.then(async (ok) => { if (ok) await write(); });
    else void write();
  }

  private watch(entry: Active, handle: RunHandle): void {
    const rec = entry.record;
    entry.handle = handle;
    const record = this.hooks.record ?? ((work) => work());
    entry.finished = entry.handle.done
      .then(async (res) => {
        if (entry.accepted && !(await entry.accepted)) return this.discard(res, entry.log);
        return record(() => this.settle(entry, res, entry.log));
      })
      .catch((err: unknown) => entry.log.error({ err }, 'failed to record task outcome'))
      .finally(() => {
        this.active.delete(rec.ticket_id);
        this.hooks.settled?.(rec.ticket_id);
        if (this.active.size === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
  }

  /**
   * Asks a task running here to stop and waits until it has let go of its worker and its outcome
   * is recorded (so a cancel answered after this never races the removal of a result file);
   * false if it is not running here. Repeated calls share the one stop.
   */
  async stop(ticketId: string): Promise<boolean> {
    const entry = this.active.get(ticketId);
    if (!entry) return false;
    entry.stopping ??= entry.handle.cancel();
    await entry.stopping;
    await entry.finished;
    return true;
  }

  private async settle(entry: Active, res: WorkerResponse, log: Logger): Promise<void> {
    const rec = entry.record;
    const at = new Date().toISOString();
    const id = rec.ticket_id;
    if (res.ok) {
      if (entry.stopping) {
        // The cancel reached this node after the pipeline had finished: the cancel wins, as it
        // would have a moment earlier, and the result is never published.
        for (const file of resultFiles(res.result)) await this.removeResult(file, log);
        await this.deps.store.cancel(id, at);
        log.info('task cancelled as it finished; its result was removed');
        return;
      }
      try {
        for (const file of resultFiles(res.result)) await this.deps.results?.publish(file, res.result.content_type);
      } catch (err) {
        log.error({ err: (err as Error).message }, 'could not publish the result');
        await this.fail(rec, { code: 'storage_failed', message: (err as Error).message }, at);
        return;
      }
      const completed = this.hooks.complete
        ? await this.hooks.complete(rec, res.result, at)
        : await this.deps.store.complete(id, res.result, at, rec.attempts);
      if (!completed) {
        // Cancelled meanwhile (elsewhere, or between publish and complete): the published file
        // goes. A task re-claimed by another worker keeps it (that claim writes the same name).
        const now = await this.deps.store.get(id);
        if (now?.status === 'Cancelled') {
          for (const file of resultFiles(res.result)) await this.removeResult(file, log);
          log.info('result removed: the task was cancelled meanwhile');
        } else {
          log.warn({ status: now?.status }, 'result discarded: the task was re-claimed meanwhile');
        }
        return;
      }
      await this.hooks.status?.(id, 'Completed');
      // LoRAs: how many of each file's modules matched a layer, per component (a partial match is accepted).
      log.info({ file: res.result.file, ...(res.result.loras ? { loras: res.result.loras } : {}) }, 'task completed');
    } else if (res.interrupted) {
      // Not the task's own failure: it goes back to the queue (a crash counts as an attempt,
      // a shutdown does not), or ends Failed once crashes have used up its attempts.
      const outcome = await this.deps.store.interrupt(id, {
        attempt: rec.attempts, countsAsAttempt: res.interrupted === 'host_crash', maxAttempts: this.deps.maxAttempts, at,
      });
      log.warn({ reason: res.interrupted, outcome, detail: res.detail }, 'task interrupted');
      if (outcome === 'requeued') this.hooks.requeued?.(rec);
      if (outcome === 'failed') await this.hooks.status?.(id, 'Failed');
    } else if (res.cancelled) {
      // Whoever asked for the cancel reports it; recording it here (a no-op where that caller
      // already has) makes the record final before the slot is reused.
      await this.deps.store.cancel(id, at);
      log.info('task cancelled');
    } else {
      // A failure without a code is a fault of ours, not of the task's input.
      const failure: TaskFailure = { code: res.code ?? 'internal_error', message: res.message };
      // `detail` (raw library text, paths) is for the log only, never stored.
      if (await this.fail(rec, failure, at)) log.warn({ code: failure.code, error: failure.message, detail: res.detail }, 'task failed');
    }
  }

  /** The run of a task whose insert was refused: nothing to record, and no file may stay. */
  private async discard(res: WorkerResponse, log: Logger): Promise<void> {
    if (res.ok) for (const file of resultFiles(res.result)) await this.removeResult(file, log);
    log.warn('run discarded: its task was never accepted (the insert was refused)');
  }

  /** A failed removal is logged, not thrown: the outcome must still be recorded. */
  private async removeResult(file: string, log: Logger): Promise<void> {
    try {
      await this.deps.results?.remove(file);
    } catch (err) {
      log.error({ err: (err as Error).message, file }, 'could not remove the result of a cancelled task');
    }
  }

  private async fail(rec: TaskRecord, failure: TaskFailure, at: string): Promise<boolean> {
    const failed = await this.deps.store.fail(rec.ticket_id, failure, at, rec.attempts);
    if (failed) await this.hooks.status?.(rec.ticket_id, 'Failed');
    return failed;
  }
}
