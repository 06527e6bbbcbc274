/**
 * The two errors a pipeline (or anything it calls: runtime, imaging, video) throws on purpose.
 * They sit at the bottom so the lower layers can throw them without importing pipelines.
 */
import type { ErrorCode } from './errors.js';

/** Thrown when `signal` fires; the worker reports the task as cancelled, not failed. */
export class CancelledError extends Error {
  readonly code = 'cancelled';
  constructor() {
    super('Task cancelled');
  }
}

export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new CancelledError();
}

/** A failure whose message is meant for the user (goes to error_info as is). */
export class TaskError extends Error {
  constructor(message: string, readonly code: ErrorCode = 'task_failed', options?: { cause?: unknown }) {
    super(message, options);
  }
}
