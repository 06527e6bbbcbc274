/**
 * Feeding and reading SD sessions whatever dtype the export chose. Exports differ in float
 * precision (fp32 or fp16 latents and states), in `input_ids` (int32 or int64) and in the
 * `timestep` (int64, fp32 or fp16; shape [1] or a scalar), so each input's type and rank are
 * read from the session once and the buffers are laid out to match.
 */
import type { Kernels } from '../../native/types.js';
import { tensor, type Session, type Tensor, type ValueSignature } from '../../runtime/index.js';
import { TaskError } from '../../tasks/task-errors.js';

export type FloatType = 'float32' | 'float16';
export type FloatBuffer = Float32Array | Uint16Array;

export function incompatible(message: string): TaskError {
  return new TaskError(`The installed model does not have the expected signature: ${message}`, 'model_incompatible');
}

/** The session input named `name` (or the first of `names` present); throws when none is. */
export function inputSpec(session: Session, names: readonly string[], what: string): ValueSignature {
  for (const name of names) {
    const meta = session.inputMetadata.find((m) => m.name === name);
    if (meta) {
      if (!meta.isTensor) throw incompatible(`${what} input ${name} is not a tensor`);
      return { name: meta.name, type: meta.type, shape: meta.shape };
    }
  }
  throw incompatible(`${what} has no input named ${names.join(' or ')} (inputs: ${session.inputNames.join(', ')})`);
}

/** The output named `name` if present, else the first output (exports agree on order, not always on names). */
export function outputSpec(session: Session, names: readonly string[], what: string): ValueSignature {
  const meta = session.outputMetadata.find((m) => names.includes(m.name)) ?? session.outputMetadata[0];
  if (!meta || !meta.isTensor) throw incompatible(`${what} has no tensor output`);
  return { name: meta.name, type: meta.type, shape: meta.shape };
}

export function floatType(spec: ValueSignature, what: string): FloatType {
  if (spec.type === 'float32' || spec.type === 'float16') return spec.type;
  throw incompatible(`${what} ${spec.name} is ${spec.type}, expected float32 or float16`);
}

export function allocFloat(type: FloatType, length: number): FloatBuffer {
  return type === 'float16' ? new Uint16Array(length) : new Float32Array(length);
}

export function floatTensor(type: FloatType, data: FloatBuffer, dims: readonly number[]): Tensor {
  return type === 'float16' ? tensor('float16', data as Uint16Array, dims) : tensor('float32', data as Float32Array, dims);
}

/** Writes f32 values into a buffer of the session's float type (converted by the native kernel). */
export function writeFloats(kernels: Kernels, src: Float32Array, dst: FloatBuffer): void {
  if (dst instanceof Float32Array) dst.set(src);
  else kernels.f32ToF16(src, dst);
}

/** A tensor's float contents as f32 (a view when already f32, converted into `out` when f16). */
export function readFloats(kernels: Kernels, t: Tensor, out?: Float32Array): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') return kernels.f16ToF32(t.data as Uint16Array, out);
  throw incompatible(`output is ${t.type}, expected float32 or float16`);
}

/** Token ids as the text encoder wants them (int32 in the legacy exports, int64 in Optimum's). */
export function idsTensor(spec: ValueSignature, ids: Int32Array): Tensor {
  const dims = [1, ids.length];
  if (spec.type === 'int32') return tensor('int32', ids, dims);
  if (spec.type === 'int64') return tensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), dims);
  throw incompatible(`text encoder ${spec.name} is ${spec.type}, expected int32 or int64`);
}

/**
 * The UNet's timestep: one value in a reusable buffer, in the dtype and rank the export declares
 * (rank 0 → scalar; rank 1 → [n] with n the declared size when fixed, else 1, which the graph
 * broadcasts over the batch as the diffusers ONNX pipeline relies on).
 */
export class TimestepInput {
  readonly tensor: Tensor;
  private readonly data: BigInt64Array | Float32Array | Uint16Array;
  private readonly one = new Float32Array(1);
  private readonly half = new Uint16Array(1);

  constructor(spec: ValueSignature, private readonly kernels: Kernels) {
    if (spec.shape.length > 1) throw incompatible(`timestep has rank ${spec.shape.length}, expected 0 or 1`);
    const declared = spec.shape[0];
    const n = typeof declared === 'number' && declared > 0 ? declared : 1;
    const dims = spec.shape.length === 0 ? [] : [n];
    if (spec.type === 'int64') {
      this.data = new BigInt64Array(n);
      this.tensor = tensor('int64', this.data, dims);
    } else if (spec.type === 'float32') {
      this.data = new Float32Array(n);
      this.tensor = tensor('float32', this.data, dims);
    } else if (spec.type === 'float16') {
      this.data = new Uint16Array(n);
      this.tensor = tensor('float16', this.data, dims);
    } else {
      throw incompatible(`timestep is ${spec.type}, expected int64, float32 or float16`);
    }
  }

  /** int64 exports get the value truncated, as numpy's astype(int64) does in diffusers. */
  set(t: number): void {
    if (this.data instanceof BigInt64Array) this.data.fill(BigInt(Math.trunc(t)));
    else if (this.data instanceof Float32Array) this.data.fill(t);
    else {
      this.one[0] = t;
      this.kernels.f32ToF16(this.one, this.half);
      this.data.fill(this.half[0]);
    }
  }
}
