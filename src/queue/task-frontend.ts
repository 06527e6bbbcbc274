/**
 * What the HTTP layer needs from the task machinery, whichever deployment runs it: the
 * embedded Scheduler (one process) or the Redis frontend (serve node in scale-out).
 */
import type { NewTask } from '../store/task-store.js';
import type { Progress, TaskRecord, TaskStatus } from '../tasks/types.js';
import type { TaskEvents } from './task-events.js';

export type CancelOutcome =
  | { kind: 'cancelled'; was: TaskStatus }
  | { kind: 'final'; status: TaskStatus }
  | { kind: 'not_found' };

export interface TaskFrontend {
  readonly events: TaskEvents;
  /** Durable insert + enqueue; throws ApiError 429 when a queue cap is reached. */
  submit(task: NewTask): Promise<TaskRecord>;
  queuePosition(ticketId: string): number | null | Promise<number | null>;
  /** Progress fresher than the store's throttled copy, where this node runs the task. */
  liveProgress(ticketId: string): Progress | null;
  /** Resolves once the task has let go of its worker (or the grace period ran out). */
  cancel(ticketId: string): Promise<CancelOutcome>;
  queueStats(): Promise<{ queued: number; running: number }>;
}
