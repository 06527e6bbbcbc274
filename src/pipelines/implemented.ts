/**
 * Task types that have a pipeline in this build: the registry's keys. The main thread reads this
 * (cheaply: the registry loads no pipeline code) to answer 503 model_unavailable for the others.
 */
import type { TaskType } from '../tasks/types.js';
import { PIPELINE_PARAMS } from './registry.js';

export const IMPLEMENTED_TASK_TYPES: ReadonlySet<TaskType> = new Set(Object.keys(PIPELINE_PARAMS) as TaskType[]);
