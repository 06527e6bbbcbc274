/**
 * The durable task record seam. Every transition is a compare-and-set on the current
 * status, so a late progress report or a completion racing a cancel can never move a
 * task out of a final state. Implementations: SQLite (embedded) and Redis (scale-out).
 */
import type { ErrorCode } from '../tasks/errors.js';
import type { IdempotencyClaim } from './idempotency-record.js';
import type { Progress, ResultMeta, TaskFailure, TaskRecord, TaskStatus, TaskType } from '../tasks/types.js';

/** The code of a task that recovery gave up on: its worker (or the whole server) kept dying. */
export const INTERRUPTED_CODE: ErrorCode = 'worker_crashed';

export interface NewTask {
  ticket_id: string;
  task_type: TaskType;
  user_id: string;
  params: Record<string, unknown>;
  serv_name: string;
  created_at: string;
  /** The client's Idempotency-Key: recorded atomically with the task (see idempotency-record.ts). */
  idempotency?: IdempotencyClaim;
  /**
   * Cross-request batching: tasks with equal keys may share one UNet batch (pipelines/batch-key.ts
   * computes it from params); stored so a claim can match tasks without parsing params.
   */
  batch_key?: string | null;
  /** Images the task adds to a batch (its batch_size); with batch_key. */
  batch_images?: number;
}

/** Why a running task stopped without an outcome of its own. */
export interface Interruption {
  /** The claim that ran it: a task re-claimed meanwhile is left alone. */
  attempt: number;
  /** A crash counts as an attempt (so a task that crashes its worker every time ends Failed); a shutdown does not. */
  countsAsAttempt: boolean;
  maxAttempts: number;
  /** completed_at, if it ends Failed. */
  at: string;
}

/**
 * A queued task as start-up needs it: enough to rebuild the fair queue and the metrics, none of
 * the parameters (which can be large; they are read when the task is claimed).
 */
export type QueuedTask = Pick<TaskRecord, 'ticket_id' | 'user_id' | 'task_type' | 'seq' | 'created_at'> & {
  /** Its batch key and images (see NewTask); null when it never batches. */
  batch_key: string | null;
  batch_images: number;
};

/** A finished task as retention needs it: no parameters, only what must be deleted with it. */
export interface FinishedTask {
  ticket_id: string;
  status: 'Completed' | 'Failed' | 'Cancelled';
  completed_at: string;
  /** The result file (`result.file`) of a Completed task; null otherwise. */
  result_file: string | null;
}

export interface RecoveryReport {
  requeued: string[];
  failed: string[];
}

/** Where a newly inserted task stands: Queueing, or claimed at insert. */
export type InsertedState = Pick<TaskRecord, 'status' | 'serv_name' | 'started_at' | 'attempts'>;

/**
 * The record of a task as inserted (seq 0 until the insert sets it), built field by field: a rest or
 * spread copy of the NewTask is a dictionary-mode object in V8, microseconds on every submit.
 */
export function insertedRecord(task: NewTask, state: InsertedState): TaskRecord {
  return {
    ticket_id: task.ticket_id, seq: 0, task_type: task.task_type, user_id: task.user_id, params: task.params,
    status: state.status, serv_name: state.serv_name, created_at: task.created_at, started_at: state.started_at,
    completed_at: null, error_info: null, error_code: null, result: null, progress: null, attempts: state.attempts,
  };
}

/**
 * A claim at insert: the In Progress record now; `commit()` queues its insert (in the next group
 * commit) and resolves with that same record, its seq set, once durable.
 */
export interface ClaimedInsert {
  record: TaskRecord;
  commit(): Promise<TaskRecord>;
}

export interface TaskStore {
  /** Persist a new `Queueing` task; resolves once it is durable. */
  create(task: NewTask): Promise<TaskRecord>;
  /**
   * Claim at insert (embedded scheduler, optional): persists a new task already claimed by
   * `servName`, exactly as create() then markStarted() would leave it (In Progress, started now,
   * attempt 1), in the same commit as other inserts; an Idempotency-Key still records the 202's
   * "Queueing" body. Nothing is written until `commit()`, so the caller can start the run first
   * and the write overlaps it.
   */
  createClaimed?(task: NewTask, servName: string): ClaimedInsert;
  get(ticketId: string): Promise<TaskRecord | null>;
  /** Queueing → In Progress; counts an attempt. The updated record, or null if it was not Queueing. */
  markStarted(ticketId: string, servName: string, at: string): Promise<TaskRecord | null>;
  /** Only while In Progress. */
  setProgress(ticketId: string, progress: Progress): Promise<void>;
  /**
   * In Progress → Completed. With `attempt` > 0, only while the task is still on that claim
   * (its attempts count): a task re-claimed after its worker stalled is not completed twice.
   */
  complete(ticketId: string, result: ResultMeta, at: string, attempt?: number): Promise<boolean>;
  /** Queueing|In Progress → Failed, storing the code and message; `attempt` as for complete(). */
  fail(ticketId: string, failure: TaskFailure, at: string, attempt?: number): Promise<boolean>;
  /** Queueing|In Progress → Cancelled (no error code); the status before, or null if not cancellable. */
  cancel(ticketId: string, at: string): Promise<TaskStatus | null>;
  /** Queueing tasks in acceptance order (rebuilds the in-memory queue after a restart), small columns only. */
  listQueued(): Promise<QueuedTask[]>;
  /**
   * After a crash: every In Progress task goes back to Queueing (keeping its attempts count), or
   * to Failed (`worker_crashed`) once it has been started `maxAttempts` times.
   */
  recoverInterrupted(maxAttempts: number, at: string): Promise<RecoveryReport>;
  /**
   * In Progress (on `attempt`) → Queueing at the front of its user's lane, or → Failed
   * (`worker_crashed`) when a counted interruption reaches `maxAttempts`; null if the task had
   * already moved on.
   */
  interrupt(ticketId: string, how: Interruption): Promise<'requeued' | 'failed' | null>;
  countByStatus(): Promise<Record<TaskStatus, number>>;
  /**
   * Retention, first step: up to `limit` finished (Completed, Failed, Cancelled) tasks whose
   * completed_at is before `before` (ISO 8601, compared as the stored strings), oldest first.
   * Queued and running tasks are never listed. Reads only; bounded by `limit`.
   */
  finishedBefore(before: string, limit: number): Promise<FinishedTask[]>;
  /**
   * Retention, last step (after the task's files and inputs are gone): deletes those of `ticketIds`
   * that are still finished before `before`, and returns the ids it deleted. Deleting an id that
   * is already gone is not an error, so several sweepers may run at once.
   */
  deleteFinished(ticketIds: readonly string[], before: string): Promise<string[]>;
  close(): Promise<void>;
}
