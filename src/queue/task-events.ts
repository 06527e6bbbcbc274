/**
 * Task lifecycle events on one node: status changes and progress. Live views (SSE), webhooks
 * and metrics subscribe here instead of polling the store.
 */
import { EventEmitter } from 'node:events';
import type { Progress, TaskRecord, TaskStatus } from '../tasks/types.js';

export interface TaskEventMap {
  /** A task entered `status`; `record` is the stored state right after the change. */
  status: [ticketId: string, status: TaskStatus, record: TaskRecord | null];
  progress: [ticketId: string, progress: Progress];
}

export class TaskEvents extends EventEmitter<TaskEventMap> {
  constructor() {
    super();
    // Many SSE clients may watch one node; the default limit of 10 listeners would warn.
    this.setMaxListeners(0);
  }
}
