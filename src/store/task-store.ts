/**
 * The durable task record seam. Every transition is a compare-and-set on the current
 * status, so a late progress report or a completion racing a cancel can never move a
 * task out of a final state. Implementations: SQLite (embedded) and Redis (scale-out).
 */
import type { Progress, ResultMeta, TaskRecord, TaskStatus, TaskType } from '../tasks/types.js';

export interface NewTask {
  ticket_id: string;
  task_type: TaskType;
  user_id: string;
  params: Record<string, unknown>;
  serv_name: string;
  created_at: string;
}

export interface RecoveryReport {
  requeued: string[];
  failed: string[];
}

export interface TaskStore {
  /** Persist a new `Queueing` task; resolves once it is durable. */
  create(task: NewTask): Promise<TaskRecord>;
  get(ticketId: string): Promise<TaskRecord | null>;
  /** Queueing → In Progress; counts an attempt. The updated record, or null if it was not Queueing. */
  markStarted(ticketId: string, servName: string, at: string): Promise<TaskRecord | null>;
  /** Only while In Progress. */
  setProgress(ticketId: string, progress: Progress): Promise<void>;
  /** In Progress → Completed. */
  complete(ticketId: string, result: ResultMeta, at: string): Promise<boolean>;
  /** Queueing|In Progress → Failed. */
  fail(ticketId: string, error: string, at: string): Promise<boolean>;
  /** Queueing|In Progress → Cancelled; returns the status before, or null if not cancellable. */
  cancel(ticketId: string, at: string): Promise<TaskStatus | null>;
  /** In Progress → Queueing (a worker was lost), keeping the attempt count. */
  requeue(ticketId: string): Promise<boolean>;
  /** Queueing tasks in acceptance order (rebuilds the in-memory queue after a restart). */
  listQueued(): Promise<TaskRecord[]>;
  /**
   * After a crash: every In Progress task goes back to Queueing, or to Failed once it has
   * been started `maxAttempts` times.
   */
  recoverInterrupted(maxAttempts: number, at: string): Promise<RecoveryReport>;
  countByStatus(): Promise<Record<TaskStatus, number>>;
  close(): Promise<void>;
}
