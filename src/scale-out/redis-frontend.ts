/**
 * The serve node's side of scale-out: submits go straight into Redis (atomic insert + caps +
 * fair index), cancels mark the task and tell the node running it, and status changes from
 * every node are re-emitted locally for live views.
 */
import type { Logger } from '../infra/logging.js';
import { batchKeyOf } from '../pipelines/batch-key.js';
import { queueFullError } from '../queue/queue-full.js';
import { TaskEvents } from '../queue/task-events.js';
import type { CancelOutcome, TaskFrontend } from '../queue/task-frontend.js';
import type { RedisTaskStore } from '../store/redis-store.js';
import type { NewTask } from '../store/task-store.js';
import type { Progress, TaskRecord, TaskStatus } from '../tasks/types.js';
import { channels, type RedisClient } from '../infra/redis/connection.js';
import { guardRedis } from '../infra/redis/guard.js';

export interface FrontendLimits {
  maxQueued: number;
  maxQueuedPerUser: number;
  /** How long a cancel waits for the worker to confirm it stopped. */
  cancelWaitMs: number;
  /** Slots of the workers draining the queue, for Retry-After (see queue-full.ts). */
  slots: () => number;
}

export class RedisFrontend implements TaskFrontend {
  readonly events = new TaskEvents();
  private readonly ch: ReturnType<typeof channels>;
  private readonly cancelWaiters = new Map<string, (() => void)[]>();

  constructor(
    private readonly store: RedisTaskStore,
    private readonly redis: RedisClient,
    private readonly sub: RedisClient,
    private readonly limits: FrontendLimits,
    private readonly log: Logger,
  ) {
    this.ch = channels(store.prefix);
  }

  async start(): Promise<void> {
    await this.sub.subscribe(this.ch.events, this.ch.cancelled);
    this.sub.on('message', (channel: string, message: string) => {
      if (channel === this.ch.cancelled) {
        for (const done of this.cancelWaiters.get(message) ?? []) done();
        this.cancelWaiters.delete(message);
      } else if (channel === this.ch.events) {
        void this.relay(message);
      }
    });
  }

  private async relay(message: string): Promise<void> {
    try {
      const event = JSON.parse(message) as { ticket: string; status?: TaskStatus; progress?: Progress };
      if (event.progress) {
        this.events.emit('progress', event.ticket, event.progress);
        return;
      }
      if (!event.status || this.events.listenerCount('status') === 0) return;
      this.events.emit('status', event.ticket, event.status, await this.store.get(event.ticket));
    } catch (err) {
      this.log.debug({ err }, 'could not relay a task event');
    }
  }

  async submit(task: NewTask): Promise<TaskRecord> {
    // The batch key travels with the task so the workers' Lua claim can batch without parsing params.
    const batch = batchKeyOf(task.task_type, task.params);
    const keyed: NewTask = { ...task, batch_key: batch?.key ?? null, batch_images: batch?.images ?? 1 };
    const out = await guardRedis(this.store.createQueued(keyed, this.limits.maxQueued, this.limits.maxQueuedPerUser));
    if (!out.ok) {
      const limit = out.scope === 'global' ? this.limits.maxQueued : this.limits.maxQueuedPerUser;
      throw queueFullError({ scope: out.scope, depth: out.depth, limit, userId: task.user_id, slots: this.limits.slots() });
    }
    return out.record; // the create script published the event and the wake-up
  }

  queuePosition(ticketId: string): Promise<number | null> {
    return guardRedis(this.store.queuePosition(ticketId));
  }

  liveProgress(): Progress | null {
    return null; // the worker writes progress to the task record
  }

  async cancel(ticketId: string): Promise<CancelOutcome> {
    const rec = await guardRedis(this.store.get(ticketId));
    if (!rec) return { kind: 'not_found' };
    // Wait for the running node's confirmation only after subscribing, so it cannot be missed.
    const stopped = rec.status === 'In Progress' ? this.waitCancelled(ticketId) : null;
    const was = await guardRedis(this.store.cancel(ticketId, new Date().toISOString()));
    if (!was) {
      this.dropWaiter(ticketId);
      const now = await this.store.get(ticketId);
      return { kind: 'final', status: now?.status ?? rec.status };
    }
    if (was === 'In Progress') {
      await this.redis.publish(this.ch.cancel, ticketId);
      await stopped;
    }
    return { kind: 'cancelled', was };
  }

  private waitCancelled(ticketId: string): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.dropWaiter(ticketId);
        resolve();
      }, this.limits.cancelWaitMs);
      const list = this.cancelWaiters.get(ticketId) ?? [];
      list.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.cancelWaiters.set(ticketId, list);
    });
  }

  private dropWaiter(ticketId: string): void {
    for (const done of this.cancelWaiters.get(ticketId) ?? []) done();
    this.cancelWaiters.delete(ticketId);
  }

  async queueStats(): Promise<{ queued: number; running: number }> {
    const counts = await guardRedis(this.store.countByStatus());
    return { queued: counts.Queueing, running: counts['In Progress'] };
  }
}
