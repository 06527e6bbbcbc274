/** The one table from task type to pipeline, used inside the worker thread. */
import { runFaceSwap } from '../pipelines/face-swap/index.js';
import { runImageCreation } from '../pipelines/image-creation/index.js';
import { runImageUpscale } from '../pipelines/image-upscale/index.js';
import type { Pipeline } from '../pipelines/types.js';
import { runVideoCreation } from '../pipelines/video-creation/index.js';
import type { TaskType } from '../tasks/types.js';

const PIPELINES: Partial<Record<TaskType, Pipeline>> = {
  image_upscale: runImageUpscale,
  image_creation: runImageCreation,
  face_swap: runFaceSwap,
  video_creation: runVideoCreation,
};

export function loadPipeline(taskType: TaskType): Pipeline {
  const pipeline = PIPELINES[taskType];
  if (!pipeline) throw new Error(`No pipeline for task type ${taskType} in this build`);
  return pipeline;
}
