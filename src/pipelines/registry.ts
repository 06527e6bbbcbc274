/**
 * The pipeline registry: task type → its params module (schema, cross-field rule, parse). The API
 * validates and documents requests from it, /ready and the 503 check read its keys
 * (implemented.ts). Light by construction: it imports only params modules, never run code, so the
 * API process loads no onnxruntime, sharp or ffmpeg code through it (test/architecture checks).
 * Typed over TASK_TYPES: a task type without an entry does not compile.
 */
import type { TaskType } from '../tasks/types.js';
import { backgroundRemovalParams } from './background-removal/params.js';
import { faceSwapParams } from './face-swap/params.js';
import { imageCreationParams } from './image-creation/params.js';
import { imageUpscaleParams } from './image-upscale/params.js';
import type { ParamsModule } from './params/types.js';
import { videoCreationParams } from './video-creation/params.js';

/** Settings and model facts are erased here; each pipeline calls its own module with its types. */
export type AnyParamsModule = ParamsModule<unknown, never>;

export const PIPELINE_PARAMS: Readonly<Record<TaskType, AnyParamsModule>> = Object.freeze({
  image_creation: imageCreationParams,
  image_upscale: imageUpscaleParams,
  face_swap: faceSwapParams,
  video_creation: videoCreationParams,
  background_removal: backgroundRemovalParams,
});
