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

/** One worker as /metrics shows it (worker host mode: one process per worker). */
export interface WorkerStat {
  /** Slot number, 0 … size − 1; stays the same across recycles. */
  worker: number;
  /** The process running it now (null while it starts). */
  pid: number | null;
  rssBytes: number | null;
  /** RSS minus the RSS the process had when it became ready: what models and arenas hold (estimate). */
  arenaBytes: number | null;
  /** Tasks this process has finished. */
  tasks: number;
}

export type RecycleReason = 'max_tasks' | 'max_rss';

export interface WorkerStats {
  workers: WorkerStat[];
  /** Workers drained and replaced since start, by reason. */
  recycles: Record<RecycleReason, number>;
}

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
  /** Per-worker memory and recycling (pools whose workers are processes; absent otherwise). */
  workerStats?(): WorkerStats;
}
