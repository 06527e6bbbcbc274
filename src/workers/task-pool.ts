/**
 * The seam between the queue and whatever runs pipelines: threads in this process (WorkerPool)
 * or threads in a supervised child process (HostPool). The queue sees slots and run handles only.
 */
import type { TaskType } from '../tasks/types.js';
import type { WorkerResponse } from './messages.js';

export interface RunHandle {
  /** Settles once the task no longer occupies a slot. */
  done: Promise<WorkerResponse>;
  /** Ask the task to stop; resolves when it has stopped (cooperatively or by termination). */
  cancel(): Promise<void>;
}

/** `preview`: a live preview file (relative to the results folder) shows the task at `step`. */
export type ProgressListener = (step: number, total: number, preview?: string) => void;

/** One task of a batch handed to `runBatch`. */
export interface BatchMember {
  ticketId: string;
  params: Record<string, unknown>;
  onProgress: ProgressListener;
}

export interface TaskPool {
  readonly size: number;
  readonly busy: number;
  readonly idle: number;
  run(ticketId: string, taskType: TaskType, params: Record<string, unknown>,
    onProgress: ProgressListener): RunHandle;
  /**
   * Several tasks of one type in ONE slot, as one batch (cross-request batching): one handle per
   * member, each settling on its own (a cancelled member settles at once, the others go on).
   */
  runBatch(taskType: TaskType, members: readonly BatchMember[]): RunHandle[];
  close(): Promise<void>;
}
