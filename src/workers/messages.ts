/**
 * The typed protocol between the main thread and a pool worker. A task names its run: progress
 * flows out and `cancel` flows in over the pool's one channel (run-channel.ts) while the worker's
 * main promise is busy, which Piscina's request/response channel cannot do.
 */
import type { WorkerEnv } from '../pipelines/worker-env.js';
import type { ErrorCode } from '../tasks/errors.js';
import type { ResultMeta, TaskType } from '../tasks/types.js';

export interface WorkerRequest {
  ticketId: string;
  taskType: TaskType;
  /** task_params as validated at the door, defaults not applied: the pipeline's parse applies them here, where the model is known. */
  params: Record<string, unknown>;
  /** Names this run's messages on the pool channel. */
  run: number;
  /**
   * Shared with the pool: [0] > 0 while this worker is inside a native onnxruntime run;
   * [1] = 1 once the pool has decided to terminate the thread (no new run may start);
   * [2] = 1 once the pool has asked the run to stop (run-channel.ts).
   */
  nativeGate: Int32Array;
}

/** What every thread of a pool is started with (Piscina's workerData): sent once, not with every run. */
export interface PoolWorkerData {
  env: WorkerEnv;
  /** The pool's BroadcastChannel name (run-channel.ts). */
  channel: string;
}

/** One task of a cross-request batch: its own ticket, params, and run id (progress out, cancel in). */
export interface BatchMemberRequest {
  ticketId: string;
  params: Record<string, unknown>;
  run: number;
}

/** Several tasks run as one batch in one slot (see pipelines/batch-key.ts); answered with one response per member. */
export interface BatchRequest {
  kind: 'batch';
  taskType: TaskType;
  members: BatchMemberRequest[];
  /** Native-gate slots as in WorkerRequest; [2 + i] = 1 once member i was asked to stop. */
  nativeGate: Int32Array;
}

/**
 * Worker → main, on the pool channel. `preview`: a live preview file (relative to the results
 * folder, overwritten in place) now shows the task at `step`.
 */
export type WorkerEvent =
  | { type: 'progress'; step: number; total: number; preview?: string }
  /** A batch member's own outcome, sent as soon as it is known (a cancelled member leaves before the batch ends). */
  | { type: 'settled'; response: WorkerResponse };

/** Main → worker, on the pool channel. */
export type ControlMessage = { type: 'cancel' };

/** What travels on the pool channel: an event or a cancel, naming its run. */
export type ChannelMessage = (WorkerEvent | ControlMessage) & { run: number };

/** Failures travel as data: Error objects lose their fields through structured clone. */
export interface WorkerFailure {
  ok: false;
  cancelled: boolean;
  message: string;
  code?: ErrorCode;
  /** For the log only (raw messages, paths): never stored or shown to a client. */
  detail?: string;
  /**
   * Not the task's own failure: the process running it died (`host_crash`: re-queue it, the
   * attempt counts) or the server shut down (`shutdown`: re-queue it, the attempt does not count).
   */
  interrupted?: 'host_crash' | 'shutdown';
}

export type WorkerResponse = { ok: true; result: ResultMeta } | WorkerFailure;
