/** Messages between the API process and a worker host (a child process over IPC, structured clone). */
import type { TaskType } from '../../tasks/types.js';
import type { WorkerResponse } from '../messages.js';
import type { PoolOptions } from '../pool.js';

/**
 * The host's pool settings; the worker entry travels as a path. `nice`: the priority the host's
 * threads take before its pool starts (lower-priority.ts); absent: left as inherited.
 * `memoryAfterTask`: measure memory after each task (an RSS limit decides a recycle on it);
 * otherwise the once-a-second report is all /metrics needs, and a task pays no measurement.
 */
export type HostInit = { type: 'init'; options: PoolOptions; nice?: number; memoryAfterTask?: boolean };

/** The host process's memory (process.memoryUsage(): every thread of the process together). */
export interface HostMemory {
  rss: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

export type ToHost =
  | HostInit
  | { type: 'run'; id: number; ticketId: string; taskType: TaskType; params: Record<string, unknown> }
  /** One batch in one slot: `ids[i]` names member i in progress, cancel and done messages. */
  | { type: 'runBatch'; ids: number[]; taskType: TaskType; members: { ticketId: string; params: Record<string, unknown> }[] }
  | { type: 'cancel'; id: number }
  | { type: 'close' };

export type FromHost =
  | { type: 'ready'; memory: HostMemory }
  | { type: 'progress'; id: number; step: number; total: number; preview?: string }
  /** `memory` (with `memoryAfterTask`): measured right after the task ended, so a recycle can follow the task that crossed the limit. */
  | { type: 'done'; id: number; response: WorkerResponse; memory?: HostMemory }
  /** Sent every second, so /metrics stays current while a long task runs. */
  | { type: 'memory'; memory: HostMemory };
