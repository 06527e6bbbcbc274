/** What every pipeline receives and returns: `run(params, ctx)` with cancel and progress built in. */
import type { DecodedImage } from '../imaging/decoded-image.js';
import type { ModelRegistry } from '../models/types.js';
import type { Kernels } from '../native/types.js';
import type { SessionCache } from '../runtime/index.js';
import type { ResultMeta } from '../tasks/types.js';
import type { TaskParams } from './params/types.js';
import type { WorkerEnv } from './worker-env.js';

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
  /**
   * A live preview was written: `file` (relative to resultsDir, overwritten each time) shows
   * the task at `step`. Optional: contexts that do not relay previews leave it out.
   */
  preview?(file: string, step: number): void;
  /** Fetch (SSRF-checked) and decode an input image; errors name `field`. */
  loadImage(ref: string, field: string): Promise<DecodedImage>;
  /** Fetch (SSRF-checked, byte-capped) an input video's bytes, undecoded; errors name `field`. Absent where no pipeline needs it. */
  loadVideoBytes?(ref: string, field: string): Promise<Buffer>;
}

/** `params` as validated at the door; the pipeline's first act is its params module's `parse`. */
export type Pipeline = (params: TaskParams, ctx: PipelineContext) => Promise<ResultMeta>;
