/** Messages between the API process and its worker host (a child process over IPC, structured clone). */
import type { TaskType } from '../../tasks/types.js';
import type { WorkerResponse } from '../messages.js';
import type { PoolOptions } from '../pool.js';

/** The host's pool settings; the worker entry travels as a path. */
export type HostInit = { type: 'init'; options: PoolOptions };

export type ToHost =
  | HostInit
  | { type: 'run'; id: number; ticketId: string; taskType: TaskType; params: Record<string, unknown> }
  /** One batch in one slot: `ids[i]` names member i in progress, cancel and done messages. */
  | { type: 'runBatch'; ids: number[]; taskType: TaskType; members: { ticketId: string; params: Record<string, unknown> }[] }
  | { type: 'cancel'; id: number }
  | { type: 'close' };

export type FromHost =
  | { type: 'ready' }
  | { type: 'progress'; id: number; step: number; total: number; preview?: string }
  | { type: 'done'; id: number; response: WorkerResponse };
