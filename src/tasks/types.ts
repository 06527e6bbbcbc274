/** The task record and its vocabulary, shared by every layer (types only). */
import type { ErrorCode } from './errors.js';

export const TASK_TYPES = ['image_creation', 'image_upscale', 'face_swap', 'video_creation', 'background_removal'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export const STATUSES = ['Queueing', 'In Progress', 'Completed', 'Failed', 'Cancelled'] as const;
export type TaskStatus = (typeof STATUSES)[number];

export const FINAL_STATUSES: ReadonlySet<TaskStatus> = new Set(['Completed', 'Failed', 'Cancelled']);

export function isTaskType(value: unknown): value is TaskType {
  return typeof value === 'string' && (TASK_TYPES as readonly string[]).includes(value);
}

export interface Progress {
  step: number;
  total: number;
  percent: number;
  /** A live preview file (relative to the results folder), while the task runs; the view turns it into preview_url. */
  preview?: string;
  /** The step the preview shows. */
  preview_step?: number;
}

/** What a pipeline reports about its output; `url` is filled in by the server. */
export interface ResultMeta {
  /** Path of the primary result file relative to the results directory. */
  file: string;
  content_type: string;
  width?: number;
  height?: number;
  frames?: number;
  fps?: number;
  duration?: number;
  seed?: number;
  timings?: Record<string, number>;
  [key: string]: unknown;
}

export interface TaskRecord {
  ticket_id: string;
  task_type: TaskType;
  user_id: string;
  params: Record<string, unknown>;
  status: TaskStatus;
  serv_name: string;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  error_info: string | null;
  /**
   * The catalogued code of a Failed task's error (src/tasks/errors.ts); null otherwise, and for
   * tasks that failed before codes were stored. A string: a newer node may know more codes.
   */
  error_code: string | null;
  result: ResultMeta | null;
  progress: Progress | null;
  /** How many times the task has been started (crash recovery bounds this). */
  attempts: number;
  /** Monotonic order of acceptance; fairness and queue position use it. */
  seq: number;
}

/** Why a task failed: a catalogued code for programs and a message for people (error_info). */
export interface TaskFailure {
  code: ErrorCode;
  message: string;
}
