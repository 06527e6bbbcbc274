/**
 * A cancel point between units of work. onnxruntime's run() blocks the worker thread, so a
 * `cancel` message on the task's port is only delivered when the event loop turns; yielding
 * a macrotask here lets it in before the next unit starts.
 */
import { setImmediate as yieldMacrotask } from 'node:timers/promises';
import { throwIfCancelled } from '../tasks/task-errors.js';

export async function checkpoint(signal: AbortSignal): Promise<void> {
  await yieldMacrotask();
  throwIfCancelled(signal);
}
