/**
 * The worker's model lookup for a pipeline's `parse`: the installed model a task runs on. The API
 * checked availability at submit; a model removed since then fails the task as model_unavailable.
 */
import type { ModelRegistry, ResolvedModel } from '../models/types.js';
import { TaskError } from '../tasks/task-errors.js';
import type { TaskType } from '../tasks/types.js';
import type { ModelLookup } from './params/types.js';

export function installedModel(models: ModelRegistry, taskType: TaskType, what: string): ModelLookup<ResolvedModel> {
  return (requested) => {
    const model = models.resolve(taskType, requested);
    if (!model) throw new TaskError(`No ${what} model is installed any more; ask the operator to install one.`, 'model_unavailable');
    return model;
  };
}
