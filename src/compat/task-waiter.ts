/**
 * Waits for tasks to reach a final state: one listener on the node's task events for every
 * waiting call (the embedded scheduler and the Redis frontend both emit them), plus a slow poll
 * of the store in case an event was lost (a Redis reconnect, a task finished before we listened).
 */
import type { TaskEvents } from '../queue/task-events.js';
import type { TaskStore } from '../store/task-store.js';
import { FINAL_STATUSES, type TaskRecord, type TaskStatus } from '../tasks/types.js';

export class TaskWaiter {
  private readonly pending = new Map<string, ((rec: TaskRecord) => void)[]>();
  private timer: NodeJS.Timeout | null = null;
  private readonly onStatus = (ticket: string, status: TaskStatus, record: TaskRecord | null) => {
    if (!FINAL_STATUSES.has(status) || !this.pending.has(ticket)) return;
    if (record && record.status === status) this.settle(record);
    else void this.check(ticket);
  };

  constructor(private readonly events: TaskEvents, private readonly store: TaskStore, private readonly pollMs = 2000) {
    events.on('status', this.onStatus);
  }

  /** Resolves with the task's final record. */
  wait(ticketId: string): Promise<TaskRecord> {
    return new Promise((resolve) => {
      const list = this.pending.get(ticketId) ?? [];
      list.push(resolve);
      this.pending.set(ticketId, list);
      this.timer ??= setInterval(() => this.poll(), this.pollMs).unref();
      // It may already be final (a fast task, or another node finished it before we listened).
      void this.check(ticketId);
    });
  }

  close(): void {
    this.events.off('status', this.onStatus);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private settle(record: TaskRecord): void {
    const list = this.pending.get(record.ticket_id);
    if (!list) return;
    this.pending.delete(record.ticket_id);
    for (const resolve of list) resolve(record);
    if (this.pending.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private async check(ticketId: string): Promise<void> {
    try {
      const rec = await this.store.get(ticketId);
      if (rec && FINAL_STATUSES.has(rec.status)) this.settle(rec);
    } catch {
      // The store is unreachable for now; the next poll or event settles it.
    }
  }

  private poll(): void {
    for (const ticket of this.pending.keys()) void this.check(ticket);
  }
}
