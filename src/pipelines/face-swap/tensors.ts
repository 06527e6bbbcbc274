/** Reading model outputs as f32 without `any`: every face model here returns float32. */
import type { Tensor } from '../../runtime/index.js';
import { TaskError } from '../../tasks/task-errors.js';

export function floatData(t: Tensor | undefined, what: string): Float32Array {
  if (!t) throw new TaskError(`${what}: the model did not return this output`, 'model_error');
  if (t.type !== 'float32' || !(t.data instanceof Float32Array)) {
    throw new TaskError(`${what}: expected a float32 output, got ${t.type}`, 'model_error');
  }
  return t.data;
}
