/**
 * Task type → run function, inside the worker thread. This is the heavy twin of the pipeline
 * registry (src/pipelines/registry.ts, params only): the run code loads onnxruntime and sharp, so
 * it cannot sit in the registry the API imports. It is not loaded lazily from the registry with
 * import() because the tests run workers from TypeScript sources through tsx, whose ESM hooks do
 * not reach Piscina threads on Node 20 (only its require hooks do), so a dynamic import of a .ts
 * file fails there. Typed over TASK_TYPES like the registry, so the two cannot disagree.
 */
import { runBackgroundRemoval } from '../pipelines/background-removal/index.js';
import { runFaceSwap } from '../pipelines/face-swap/index.js';
import { runImageCreation } from '../pipelines/image-creation/index.js';
import { runImageUpscale } from '../pipelines/image-upscale/index.js';
import { runImageCreationBatch, type MemberOutcome } from '../pipelines/image-creation/batch.js';
import type { PipelineContext } from '../pipelines/types.js';
import type { TaskParams } from '../pipelines/params/types.js';
import type { Pipeline } from '../pipelines/types.js';
import { runVideoCreation } from '../pipelines/video-creation/index.js';
import type { TaskType } from '../tasks/types.js';

const RUNS: Readonly<Record<TaskType, Pipeline>> = {
  image_creation: runImageCreation,
  image_upscale: runImageUpscale,
  face_swap: runFaceSwap,
  video_creation: runVideoCreation,
  background_removal: runBackgroundRemoval,
};

export function loadPipeline(taskType: TaskType): Pipeline {
  const pipeline = RUNS[taskType] as Pipeline | undefined;
  if (!pipeline) throw new Error(`No pipeline for task type ${taskType} in this build`);
  return pipeline;
}

/** Runs several tasks of one type as one batch: one outcome per member, in order. */
export type BatchPipeline = (params: readonly TaskParams[], ctxs: readonly PipelineContext[]) => Promise<MemberOutcome[]>;

/** Task types with a batched run path (cross-request dynamic batching). */
const BATCH_RUNS: Partial<Record<TaskType, BatchPipeline>> = {
  image_creation: runImageCreationBatch,
};

export function loadBatchPipeline(taskType: TaskType): BatchPipeline | null {
  return BATCH_RUNS[taskType] ?? null;
}
