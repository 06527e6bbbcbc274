/** What every pipeline receives and returns: `run(params, ctx)` with cancel and progress built in. */
import type { ModelRegistry } from '../models/types.js';
import type { Kernels } from '../native/types.js';
import type { SessionCache } from '../runtime/index.js';
import type { ResultMeta } from '../tasks/types.js';
import type { WorkerEnv } from '../workers/messages.js';

export interface DecodedImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3 | 4;
  hasAlpha: boolean;
}

export interface PipelineContext {
  ticketId: string;
  signal: AbortSignal;
  /** Report `step` of `total` units of work done (tiles, denoise steps, frames). */
  progress(step: number, total: number): void;
  sessions: SessionCache;
  kernels: Kernels;
  models: ModelRegistry;
  /** Folder where the pipeline writes its result file; the returned `file` is relative to it. */
  resultsDir: string;
  /** Operator tuning for this worker (tile sizes, caps). */
  env: WorkerEnv;
  /** Fetch (SSRF-checked) and decode an input image; errors name `field`. */
  loadImage(ref: string, field: string): Promise<DecodedImage>;
}

export type Pipeline = (params: Record<string, unknown>, ctx: PipelineContext) => Promise<ResultMeta>;

/** Thrown when `signal` fires; the worker reports the task as cancelled, not failed. */
export class CancelledError extends Error {
  readonly code = 'cancelled';
  constructor() {
    super('Task cancelled');
  }
}

export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new CancelledError();
}

/** A failure whose message is meant for the user (goes to error_info as is). */
export class TaskError extends Error {
  constructor(message: string, readonly code = 'task_failed') {
    super(message);
  }
}
