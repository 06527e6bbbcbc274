/**
 * Reading a tfjs weightsManifest: each group's shards are one byte stream (concatenated in
 * `paths` order) holding its weights back to back. Quantised weights are expanded here, so the
 * converter only ever sees float32 and int32 tensors:
 * - `float16`: IEEE half bit patterns, widened exactly;
 * - `uint8` / `uint16`: affine, value = q * scale + min (rounded for integer originals).
 */
import { halfToFloat } from '../fp16.js';
import { TfjsConvertError, type WeightEntry, type WeightGroup } from './model-json.js';

export interface ConstTensor {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

const STORED_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

function decodeEntry(w: WeightEntry, bytes: Uint8Array): ConstTensor {
  const n = elementCount(w.shape);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const q = w.quantization;
  const integer = (q?.original_dtype ?? w.dtype) === 'int32';
  const out = integer ? new Int32Array(n) : new Float32Array(n);
  if (q?.dtype === 'float16') {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  } else if (q) {
    if (typeof q.scale !== 'number' || typeof q.min !== 'number') throw new TfjsConvertError(`weight "${w.name}": ${q.dtype} quantisation without scale and min`);
    for (let i = 0; i < n; i++) {
      const v = (q.dtype === 'uint8' ? bytes[i] : view.getUint16(i * 2, true)) * q.scale + q.min;
      out[i] = integer ? Math.round(v) : v;
    }
  } else if (w.dtype === 'float32') {
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  } else if (w.dtype === 'int32') {
    for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
  } else {
    for (let i = 0; i < n; i++) out[i] = bytes[i] ? 1 : 0; // bool
  }
  return { dtype: integer || w.dtype === 'bool' ? 'int32' : 'float32', shape: [...w.shape], data: out };
}

function storedSize(w: WeightEntry): number {
  const kind = w.quantization?.dtype ?? w.dtype;
  const bytes = STORED_BYTES[kind];
  if (bytes === undefined || (!w.quantization && !['float32', 'int32', 'bool'].includes(w.dtype))) {
    throw new TfjsConvertError(`weight "${w.name}" has dtype ${w.dtype}${w.quantization ? ` quantised as ${w.quantization.dtype}` : ''}, which is not supported`);
  }
  return elementCount(w.shape) * bytes;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Every weight of the manifest by name; `readShard` returns the bytes of one `paths` entry. */
export function readWeights(manifest: readonly WeightGroup[], readShard: (path: string) => Uint8Array): Map<string, ConstTensor> {
  const out = new Map<string, ConstTensor>();
  for (const group of manifest) {
    const stream = concat(group.paths.map(readShard));
    let at = 0;
    for (const w of group.weights) {
      const size = storedSize(w);
      if (at + size > stream.length) {
        throw new TfjsConvertError(`weight "${w.name}" needs bytes ${at}..${at + size} but the shards of [${group.paths.join(', ')}] hold ${stream.length}`);
      }
      out.set(w.name, decodeEntry(w, stream.subarray(at, at + size)));
      at += size;
    }
    if (at !== stream.length) throw new TfjsConvertError(`the shards of [${group.paths.join(', ')}] hold ${stream.length} bytes; the manifest describes ${at}`);
  }
  return out;
}

/** A transposed copy of a constant (perm as in numpy.transpose). */
export function permuteConst(t: ConstTensor, perm: readonly number[]): ConstTensor {
  const rank = t.shape.length;
  if (perm.length !== rank) throw new TfjsConvertError(`cannot permute a rank-${rank} constant by [${perm.join(',')}]`);
  const shape = perm.map((p) => t.shape[p]);
  const srcStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) srcStrides[i] = srcStrides[i + 1] * t.shape[i + 1];
  const strides = perm.map((p) => srcStrides[p]);
  const data = t.dtype === 'int32' ? new Int32Array(t.data.length) : new Float32Array(t.data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < data.length; o++) {
    let src = 0;
    for (let i = 0; i < rank; i++) src += idx[i] * strides[i];
    data[o] = t.data[src];
    for (let i = rank - 1; i >= 0; i--) {
      if (++idx[i] < shape[i]) break;
      idx[i] = 0;
    }
  }
  return { dtype: t.dtype, shape, data };
}
