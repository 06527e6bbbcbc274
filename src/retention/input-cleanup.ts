/**
 * The stored inputs of an expired task: large `data:` URIs the API moved into the input store,
 * referenced from the task's params as `backserv-input:<id>`. Each stored input belongs to the
 * one task whose submit stored it (compat routes keep nothing stored), so it goes with that task.
 */
import { parseInputRef, type InputStore } from '../store/inputs/input-store.js';
import type { TicketCleanup } from './expire-tasks.js';

/** Every input id referenced anywhere in `value` (params are small JSON: a plain walk). */
export function inputIdsIn(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') {
    const id = parseInputRef(value);
    if (id !== null) out.add(id);
  } else if (Array.isArray(value)) {
    for (const v of value) inputIdsIn(v, out);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) inputIdsIn(v, out);
  }
  return out;
}

/** A cleanup that deletes the task's stored inputs (deleting one already gone is not an error). */
export function storedInputsCleanup(inputs: Pick<InputStore, 'delete'>): TicketCleanup {
  return async (task) => {
    const rec = await task.record();
    if (!rec) return;
    for (const id of inputIdsIn(rec.params)) await inputs.delete(id);
  };
}
