/**
 * What a worker can run: the task types that have a pipeline in this build AND whose models are
 * installed on this host, with the installed model ids per type. Workers claim only those types
 * and publish them in their heartbeat, from which serve nodes learn what the fleet can run.
 * Read again on every heartbeat, so models installed while the worker runs are picked up.
 */
import type { ModelRegistry } from '../models/types.js';
import { IMPLEMENTED_TASK_TYPES } from '../pipelines/implemented.js';
import { TASK_TYPES, type TaskType } from '../tasks/types.js';

export interface Capabilities {
  task_types: TaskType[];
  /** Installed model ids per runnable task type, in preference order. */
  models: Partial<Record<TaskType, string[]>>;
}

export function capabilitiesOf(registry: ModelRegistry): Capabilities {
  const avail = registry.availability();
  const out: Capabilities = { task_types: [], models: {} };
  for (const type of TASK_TYPES) {
    if (!IMPLEMENTED_TASK_TYPES.has(type) || !avail[type].available) continue;
    out.task_types.push(type);
    out.models[type] = avail[type].models.filter((m) => m.installed).map((m) => m.id);
  }
  return out;
}
