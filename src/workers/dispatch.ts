/** The one table from task type to pipeline, loaded lazily inside the worker thread. */
import type { Pipeline } from '../pipelines/types.js';
import type { TaskType } from '../tasks/types.js';

const LOADERS: Partial<Record<TaskType, () => Promise<Pipeline>>> = {
  image_upscale: async () => (await import('../pipelines/image-upscale/index.js')).runImageUpscale,
};

export async function loadPipeline(taskType: TaskType): Promise<Pipeline> {
  const load = LOADERS[taskType];
  if (!load) throw new Error(`No pipeline for task type ${taskType} in this build`);
  return load();
}
