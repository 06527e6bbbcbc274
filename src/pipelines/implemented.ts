/**
 * Task types that have a pipeline in this build. The main thread reads this (cheaply) to
 * answer 503 model_unavailable for the others; the worker's dispatch table must agree.
 */
import type { TaskType } from '../tasks/types.js';

export const IMPLEMENTED_TASK_TYPES: ReadonlySet<TaskType> = new Set<TaskType>(['image_upscale', 'face_swap', 'image_creation', 'video_creation']);
