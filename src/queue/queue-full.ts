/**
 * The 429 `queue_full` answer, the same in embedded and scale-out mode: which cap was hit, how
 * deep that queue is, and when to come back.
 */
import { ApiError, queueFull } from '../tasks/errors.js';

export interface QueueFullInfo {
  /** `global`: all users together; `user`: this user's own tasks. */
  scope: 'global' | 'user';
  /** Tasks waiting in the queue that is full. */
  depth: number;
  /** The cap that was reached. */
  limit: number;
  userId: string;
  /** Worker slots draining the queue (pool threads here, or those of the live workers). */
  slots: number;
}

/**
 * Seconds until a retry has a fair chance: the time to run the waiting tasks at one task per
 * slot per second, between 1 s and 10 min. It scales with the capacity that drains the queue:
 * a bigger fleet tells clients to come back sooner, and no task type here finishes faster than
 * about a second, so the answer is never earlier than the queue can move. (Scale-out used
 * depth / 10 before, a fixed guess of ten slots whatever the fleet; embedded used this one.)
 */
export function retryAfterSeconds(depth: number, slots: number): number {
  return Math.min(600, Math.max(1, Math.ceil(depth / Math.max(1, slots))));
}

export function queueFullError(q: QueueFullInfo): ApiError {
  const retry = retryAfterSeconds(q.depth, q.slots);
  return q.scope === 'global'
    ? queueFull(`The server queue is full (${q.depth} tasks waiting); retry later.`, retry)
    : queueFull(`user_id ${q.userId} already has ${q.depth} tasks waiting (limit ${q.limit}); retry when some finish.`, retry);
}
