/**
 * SQLite TaskStore (better-sqlite3, WAL). WAL with synchronous=NORMAL makes every
 * committed transaction survive a crash of this process (kill -9); only a power loss can
 * drop the last commits, which `BACKSERV_SQLITE_SYNC=full` closes at the cost of an fsync
 * per commit (shared by the submits of one event-loop turn: see create).
 */
import { acceptedBody, IDEMPOTENCY_TABLE_SQL } from './idempotency-record.js';
import Database from 'better-sqlite3';
import type { Progress, ResultMeta, TaskFailure, TaskRecord, TaskStatus } from '../tasks/types.js';
import { STATUSES } from '../tasks/types.js';
import { insertedRecord, INTERRUPTED_CODE, type ClaimedInsert, type FinishedTask, type Interruption, type NewTask, type QueuedTask, type RecoveryReport, type TaskStore } from './task-store.js';
import { openSqlite } from '../infra/open-sqlite.js';
import { RowCache } from './row-cache.js';
import { COUNTS_SQL, FINISHED_BEFORE_SQL, prepareSchema, QUEUED_SQL, RUNNING_SQL } from './sqlite-schema.js';

interface Row {
  ticket_id: string;
  seq: number;
  task_type: string;
  user_id: string;
  params: string;
  status: string;
  serv_name: string;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  error_info: string | null;
  error_code: string | null;
  result: string | null;
  progress: string | null;
  attempts: number;
}

function toRecord(r: Row): TaskRecord {
  return {
    ticket_id: r.ticket_id,
    seq: r.seq,
    task_type: r.task_type as TaskRecord['task_type'],
    user_id: r.user_id,
    params: JSON.parse(r.params) as Record<string, unknown>,
    status: r.status as TaskStatus,
    serv_name: r.serv_name,
    created_at: r.created_at,
    started_at: r.started_at,
    completed_at: r.completed_at,
    error_info: r.error_info,
    error_code: r.error_code,
    result: r.result ? (JSON.parse(r.result) as ResultMeta) : null,
    progress: r.progress ? (JSON.parse(r.progress) as Progress) : null,
    attempts: r.attempts,
  };
}

/** One pending insert of the group commit; `claimed` is a claim at insert's record (its seq set by the insert). */
interface Insert {
  task: NewTask;
  claimed: TaskRecord | null;
}

export class SqliteTaskStore implements TaskStore {
  private readonly db: Database.Database;
  private readonly stmt: ReturnType<SqliteTaskStore['prepare']>;
  /** Inserts tasks in one transaction (better-sqlite3's wrapper, made once, not per call). */
  private readonly insertAll: (inserts: Insert[]) => TaskRecord[];
  private pending: (Insert & { resolve: (rec: TaskRecord) => void; reject: (err: Error) => void })[] = [];
  /** Rows read since their last write here (row-cache.ts): every method that writes a row forgets it. */
  private readonly rows = new RowCache<Row>((r) => r.params.length + (r.result?.length ?? 0) + (r.progress?.length ?? 0) + (r.error_info?.length ?? 0) + 256);

  constructor(file: string, sync: 'normal' | 'full' = 'normal') {
    this.db = openSqlite(file, sync);
    prepareSchema(this.db);
    this.db.exec(IDEMPOTENCY_TABLE_SQL);
    this.stmt = this.prepare();
    this.insertAll = this.db.transaction((inserts: Insert[]) => inserts.map((i) => this.insertOne(i)));
  }

  private prepare() {
    const db = this.db;
    return {
      idempotency: db.prepare('INSERT OR REPLACE INTO idempotency_keys (user_id, key, fingerprint, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
      // Queueing, or In Progress on attempt 1 when claimed at insert (createClaimed).
      insert: db.prepare(`INSERT INTO tasks (ticket_id, task_type, user_id, params, status, serv_name, created_at, started_at, attempts, batch_key, batch_images)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      get: db.prepare('SELECT * FROM tasks WHERE ticket_id = ?'),
      start: db.prepare(`UPDATE tasks SET status = 'In Progress', serv_name = ?, started_at = ?, completed_at = NULL,
        progress = NULL, attempts = attempts + 1 WHERE ticket_id = ? AND status = 'Queueing' RETURNING *`),
      progress: db.prepare(`UPDATE tasks SET progress = ? WHERE ticket_id = ? AND status = 'In Progress'`),
      // @attempt pins the claim (0 = any), as the Redis scripts do.
      complete: db.prepare(`UPDATE tasks SET status = 'Completed', result = @result, completed_at = @at
        WHERE ticket_id = @id AND status = 'In Progress' AND (@attempt = 0 OR attempts = @attempt)`),
      fail: db.prepare(`UPDATE tasks SET status = 'Failed', error_info = @message, error_code = @code, completed_at = @at
        WHERE ticket_id = @id AND (status = 'Queueing' OR (status = 'In Progress' AND (@attempt = 0 OR attempts = @attempt)))`),
      cancel: db.prepare(`UPDATE tasks SET status = 'Cancelled', completed_at = ?
        WHERE ticket_id = ? AND status IN ('Queueing', 'In Progress')`),
      requeue: db.prepare(`UPDATE tasks SET status = 'Queueing', progress = NULL
        WHERE ticket_id = ? AND status = 'In Progress'`),
      // A shutdown gives the claim back: the next start is the same attempt again.
      giveBack: db.prepare(`UPDATE tasks SET status = 'Queueing', progress = NULL, attempts = attempts - @uncount
        WHERE ticket_id = @id AND status = 'In Progress' AND attempts = @attempt`),
      queued: db.prepare(QUEUED_SQL),
      running: db.prepare(RUNNING_SQL),
      counts: db.prepare(COUNTS_SQL),
      finished: db.prepare(FINISHED_BEFORE_SQL),
      drop: db.prepare(`DELETE FROM tasks WHERE ticket_id = ? AND status IN ('Completed', 'Failed', 'Cancelled') AND completed_at < ?`),
    };
  }

  /**
   * Group commit: the submits that arrive in one turn of the event loop are inserted in one
   * transaction (one WAL write, and with BACKSERV_SQLITE_SYNC=full one fsync, for all of them).
   * Each caller's promise resolves only after that commit, so no 202 precedes its task's commit.
   * (A claim at insert that finds nothing pending commits at the end of its own job instead: at
   * most one per free worker, since the submits after it find the slots taken or the queue busy.)
   */
  create(task: NewTask): Promise<TaskRecord> {
    return this.enqueueInsert({ task, claimed: null });
  }

  /**
   * Claim at insert: the row is written In Progress on attempt 1, started at the claim, which is
   * what markStarted() would leave, so crash recovery and every later compare-and-set treat it as
   * any claimed task; it shares the group commit, so the claim costs no write of its own.
   */
  createClaimed(task: NewTask, servName: string): ClaimedInsert {
    const record = insertedRecord(task, { status: 'In Progress', serv_name: servName, started_at: new Date().toISOString(), attempts: 1 });
    return { record, commit: () => this.enqueueInsert({ task, claimed: record }) };
  }

  private enqueueInsert(insert: Insert): Promise<TaskRecord> {
    return new Promise((resolve, reject) => {
      this.pending.push({ ...insert, resolve, reject });
      if (this.pending.length !== 1) return;
      // A claim at insert (nothing queued, a worker free: no load to share a commit with) commits
      // as soon as the submit's own code has run, not a loop turn later: the run is already posted
      // and its outcome waits on this commit. Others gather for the turn's group commit.
      if (insert.claimed) queueMicrotask(() => this.flushCreates());
      else setImmediate(() => this.flushCreates());
    });
  }

  private flushCreates(): void {
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    try {
      // A lone task without a key is one statement, atomic on its own: no transaction to pay for.
      const lone = batch.length === 1 && !batch[0].task.idempotency;
      const recs = lone ? [this.insertOne(batch[0])] : this.insertAll(batch);
      batch.forEach((b, i) => b.resolve(recs[i]));
    } catch (err) {
      if (batch.length === 1) {
        batch[0].reject(err as Error); // nothing to separate: the one row was the bad one
        return;
      }
      // One bad row must not fail the others: each on its own, so only that one is refused.
      for (const b of batch) {
        try {
          b.resolve(this.insertAll([b])[0]);
        } catch (err) {
          b.reject(err as Error);
        }
      }
    }
  }

  /** One task, with its Idempotency-Key record when it has one (inside insertAll's transaction). */
  private insertOne({ task, claimed }: Insert): TaskRecord {
    // The record is built from what was inserted: re-reading the row would parse params back (MBs for data: inputs).
    const rec = claimed ?? insertedRecord(task, { status: 'Queueing', serv_name: task.serv_name, started_at: null, attempts: 0 });
    rec.seq = Number(this.stmt.insert.run(
      task.ticket_id, task.task_type, task.user_id, JSON.stringify(task.params), rec.status, rec.serv_name, task.created_at,
      rec.started_at, rec.attempts, task.batch_key ?? null, task.batch_images ?? 1,
    ).lastInsertRowid);
    const { idempotency } = task;
    if (idempotency) {
      // The 202 says Queueing whether or not the task was claimed at insert (the submit route's answer).
      const body = acceptedBody({ ticket_id: rec.ticket_id, serv_name: task.serv_name, status: 'Queueing' });
      this.stmt.idempotency.run(rec.user_id, idempotency.key, idempotency.fingerprint, 202, JSON.stringify(body), Date.now());
    }
    return rec;
  }

  async get(ticketId: string): Promise<TaskRecord | null> {
    const row = this.rows.get(ticketId, () => this.stmt.get.get(ticketId) as Row | undefined);
    return row ? toRecord(row) : null;
  }

  async markStarted(ticketId: string, servName: string, at: string): Promise<TaskRecord | null> {
    const row = this.stmt.start.get(servName, at, ticketId) as Row | undefined;
    this.rows.forget(ticketId);
    return row ? toRecord(row) : null;
  }

  async setProgress(ticketId: string, progress: Progress): Promise<void> {
    this.stmt.progress.run(JSON.stringify(progress), ticketId);
    this.rows.forget(ticketId);
  }

  async complete(ticketId: string, result: ResultMeta, at: string, attempt = 0): Promise<boolean> {
    const done = this.stmt.complete.run({ id: ticketId, result: JSON.stringify(result), at, attempt }).changes === 1;
    this.rows.forget(ticketId);
    return done;
  }

  async fail(ticketId: string, failure: TaskFailure, at: string, attempt = 0): Promise<boolean> {
    const failed = this.stmt.fail.run({ id: ticketId, message: failure.message, code: failure.code, at, attempt }).changes === 1;
    this.rows.forget(ticketId);
    return failed;
  }

  async cancel(ticketId: string, at: string): Promise<TaskStatus | null> {
    const before = this.db.transaction(() => {
      const row = this.stmt.get.get(ticketId) as Row | undefined;
      if (!row) return null;
      return this.stmt.cancel.run(at, ticketId).changes === 1 ? (row.status as TaskStatus) : null;
    })();
    this.rows.forget(ticketId);
    return before;
  }

  async listQueued(): Promise<QueuedTask[]> {
    return this.stmt.queued.all() as QueuedTask[];
  }

  async recoverInterrupted(maxAttempts: number, at: string): Promise<RecoveryReport> {
    this.rows.clear();
    return this.db.transaction(() => {
      const report: RecoveryReport = { requeued: [], failed: [] };
      for (const r of this.stmt.running.all() as { ticket_id: string; attempts: number }[]) {
        if (r.attempts >= maxAttempts) {
          const msg = `Interrupted: the server stopped while this task was running, ${r.attempts} time(s); ` +
            'it was not retried again. Submit it again; if it keeps happening, check the server log for a crash.';
          this.stmt.fail.run({ id: r.ticket_id, message: msg, code: INTERRUPTED_CODE, at, attempt: 0 });
          report.failed.push(r.ticket_id);
        } else {
          this.stmt.requeue.run(r.ticket_id);
          report.requeued.push(r.ticket_id);
        }
      }
      return report;
    })();
  }

  async interrupt(ticketId: string, how: Interruption): Promise<'requeued' | 'failed' | null> {
    this.rows.forget(ticketId);
    if (how.countsAsAttempt && how.attempt >= how.maxAttempts) {
      const msg = `The worker process running this task crashed, ${how.attempt} time(s); it was not retried again. ` +
        'Submit it again; if it keeps happening, the operator should check the server log.';
      const failed = this.stmt.fail.run({ id: ticketId, message: msg, code: INTERRUPTED_CODE, at: how.at, attempt: how.attempt }).changes === 1;
      return failed ? 'failed' : null;
    }
    const back = this.stmt.giveBack.run({ id: ticketId, attempt: how.attempt, uncount: how.countsAsAttempt ? 0 : 1 }).changes === 1;
    return back ? 'requeued' : null;
  }

  async countByStatus(): Promise<Record<TaskStatus, number>> {
    const out = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
    for (const r of this.stmt.counts.all() as { status: TaskStatus; n: number }[]) out[r.status] = r.n;
    return out;
  }

  async finishedBefore(before: string, limit: number): Promise<FinishedTask[]> {
    return this.stmt.finished.all(before, limit) as FinishedTask[];
  }

  async deleteFinished(ticketIds: readonly string[], before: string): Promise<string[]> {
    for (const id of ticketIds) this.rows.forget(id);
    return this.db.transaction(() => ticketIds.filter((id) => this.stmt.drop.run(id, before).changes === 1))();
  }

  async close(): Promise<void> {
    this.flushCreates(); // submits already accepted into this turn commit before the file closes
    this.db.close();
  }
}
