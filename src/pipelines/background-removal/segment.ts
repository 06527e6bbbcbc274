/**
 * The model half of background removal: the picture resized to the model's square, packed as
 * the model wants it, run once, and its answer turned into a size×size foreground probability
 * in 0–1 (f32, row-major).
 */
import sharp from 'sharp';
import type { DecodedImage } from '../../imaging/decoded-image.js';
import { inNative } from '../../runtime/native-gate.js';
import { tensor, type Session } from '../../runtime/index.js';
import { TaskError } from '../../tasks/task-errors.js';
import type { SegmenterSpec } from './segmenters.js';

export interface LowResMask {
  data: Float32Array;
  size: number;
}

/** RGB u8 (size×size) → the model's input tensor. */
export function packInput(rgb: Uint8Array, spec: SegmenterSpec): Float32Array {
  const n = spec.size * spec.size;
  let scale = 255;
  if (spec.scaleBy === 'max') {
    let max = 0;
    for (let i = 0; i < rgb.length; i++) if (rgb[i] > max) max = rgb[i];
    scale = Math.max(max, 1e-6);
  }
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const v = (rgb[i * 3 + c] / scale - spec.mean[c]) / spec.std[c];
      out[spec.layout === 'nhwc' ? i * 3 + c : c * n + i] = v;
    }
  }
  return out;
}

/** The first output's first channel → a probability in 0–1. */
export function readOutput(raw: Float32Array, spec: SegmenterSpec): Float32Array {
  const n = spec.size * spec.size;
  if (raw.length < n) throw new TaskError(`The segmentation model gave ${raw.length} values, expected ${n}.`, 'model_error');
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = raw[i];
    out[i] = spec.output === 'sigmoid-minmax' ? 1 / (1 + Math.exp(-v)) : v;
  }
  if (spec.output === 'prob') {
    for (let i = 0; i < n; i++) out[i] = Math.min(Math.max(Number.isFinite(out[i]) ? out[i] : 0, 0), 1);
    return out;
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    lo = Math.min(lo, out[i]);
    hi = Math.max(hi, out[i]);
  }
  const span = hi - lo;
  if (!(span > 0) || !Number.isFinite(span)) throw new TaskError('The segmentation model gave a flat or non-finite mask.', 'model_error');
  for (let i = 0; i < n; i++) out[i] = (out[i] - lo) / span;
  return out;
}

export async function segment(session: Session, img: DecodedImage, spec: SegmenterSpec): Promise<LowResMask> {
  const { size } = spec;
  // Area-style downscale (sharp picks its reducing kernel), alpha dropped: the model sees RGB.
  const rgb = await inNative(() => sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } })
    .removeAlpha().resize(size, size, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer());
  const input = packInput(rgb, spec);
  const dims = spec.layout === 'nhwc' ? [1, size, size, 3] : [1, 3, size, size];
  const result = await session.run({ [session.inputNames[0]]: tensor('float32', input, dims) });
  const raw = result[session.outputNames[0]];
  if (!raw || raw.type !== 'float32') throw new TaskError('The segmentation model did not give a float32 mask.', 'model_error');
  return { data: readOutput(raw.data as Float32Array, spec), size };
}
