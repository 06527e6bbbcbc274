/**
 * The retention sweeper: every BACKSERV_RETENTION_SWEEP_MS it deletes finished tasks past
 * BACKSERV_TASK_TTL_S (with their result files and whatever the cleanups hold for them), then
 * result files past BACKSERV_RESULT_TTL_S, then the oldest results while they are over
 * BACKSERV_RESULTS_MAX_BYTES, and records what is kept for /metrics. With every limit at 0 it
 * deletes nothing and only measures.
 *
 * Several sweepers may run at once (every serve node in scale-out runs one): each step is
 * idempotent (files before records, removals of what is already gone succeed, a record is
 * deleted only while it is still finished before the cut-off), so two sweeps at once delete the
 * same things once, and at worst the size cap evicts a few files more than one sweep would.
 */
import type { RetentionConfig } from '../config/retention-settings.js';
import type { Logger } from '../infra/logging.js';
import type { ResultStore } from '../results/result-store.js';
import type { TaskStore } from '../store/task-store.js';
import { expireTasks, type TicketCleanup } from './expire-tasks.js';
import { emptyStats, type RetentionStats } from './retention-stats.js';
import { sweepResults } from './sweep-results.js';

export type { ExpiringTask, TicketCleanup } from './expire-tasks.js';
export type { RetentionStats } from './retention-stats.js';

export interface SweeperDeps {
  settings: RetentionConfig;
  store: Pick<TaskStore, 'get' | 'finishedBefore' | 'deleteFinished'>;
  results: Pick<ResultStore, 'list' | 'remove'>;
  /** What else to delete with an expired task (the input store plugs in here). */
  cleanups?: readonly TicketCleanup[];
  log: Logger;
  /** The clock (tests move it). */
  now?: () => number;
}

export class RetentionSweeper {
  private readonly stats: RetentionStats = emptyStats();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly d: SweeperDeps) {}

  /** Sweeps now (in the background) and then every sweepMs; a no-op when sweepMs is 0. */
  start(): void {
    if (this.d.settings.sweepMs <= 0 || this.closed) return;
    const { resultTtlS, taskTtlS, resultsMaxBytes, sweepMs } = this.d.settings;
    this.d.log.info({ result_ttl_s: resultTtlS, task_ttl_s: taskTtlS, results_max_bytes: resultsMaxBytes, sweep_ms: sweepMs }, 'retention sweeper started');
    this.schedule(0);
  }

  /** A copy of the figures (what /metrics reads). */
  snapshot(): RetentionStats {
    return { ...this.stats };
  }

  /** One sweep; a call while one runs waits for that one instead of starting another. */
  sweep(): Promise<void> {
    this.running ??= this.once().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Stops the timer and waits for a sweep in progress. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.sweep().finally(() => this.schedule(this.d.settings.sweepMs));
    }, ms);
    this.timer.unref();
  }

  private async once(): Promise<void> {
    const { settings, log } = this.d;
    const now = this.d.now?.() ?? Date.now();
    try {
      let tasks = 0;
      if (settings.taskTtlS > 0) {
        const before = new Date(now - settings.taskTtlS * 1000).toISOString();
        tasks = await expireTasks({ store: this.d.store, results: this.d.results, cleanups: this.d.cleanups ?? [], log }, before);
      }
      const r = await sweepResults(this.d.results, { ttlMs: settings.resultTtlS * 1000, maxBytes: settings.resultsMaxBytes }, now, log);
      const s = this.stats;
      s.tasksExpired += tasks;
      s.resultsExpired += r.expired;
      s.resultsExpiredBytes += r.expiredBytes;
      s.resultsEvicted += r.evicted;
      s.resultsEvictedBytes += r.evictedBytes;
      s.resultsBytes = r.keptBytes;
      s.resultsFiles = r.keptFiles;
      s.sweeps++;
      if (tasks || r.expired || r.evicted) {
        log.info({ tasks_deleted: tasks, results_expired: r.expired, results_evicted: r.evicted, results_bytes: r.keptBytes, results_files: r.keptFiles }, 'retention sweep');
      }
    } catch (err) {
      this.stats.failedSweeps++;
      log.warn({ err: (err as Error).message }, 'retention sweep failed; the next one tries again');
    }
  }
}
