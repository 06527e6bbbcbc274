/**
 * inswapper_128 (MODELS.md §4): target = the 128 crop (template shifted for 128) in RGB [0,1];
 * source = normed ArcFace embedding · emap, L2-normalised; output RGB [0,1] →
 * u8 as clip(255·y, 0, 255) truncated, like insightface's astype(uint8).
 */
import { NORM_0_1, type Affine, type Kernels } from '../../native/types.js';
import { tensor, type Session } from '../../runtime/index.js';
import type { DecodedImage } from '../../imaging/decoded-image.js';
import { alignCrop } from './align.js';
import type { Emap } from './emap.js';
import { floatData } from './tensors.js';
import type { Face } from './types.js';
import { l2Normalize, vecMat } from './vector.js';

export const SWAP_SIZE = 128;

/** The swapper's `source` input for one source face. */
export function swapLatent(embedding: Float32Array, emap: Emap): Float32Array {
  return l2Normalize(vecMat(embedding, emap.data, emap.rows, emap.cols));
}

export interface SwappedCrop {
  /** u8 HWC RGB, 128×128. */
  rgb: Uint8Array;
  /** Target frame → crop. */
  m: Affine;
  /** Time in the model itself, ms. */
  inferenceMs: number;
}

/** Inputs by name when the export names them (target/source), else insightface's order 0, 1. */
function inputNames(session: Session): { target: string; source: string } {
  const names = session.inputNames;
  if (names.includes('target') && names.includes('source')) return { target: 'target', source: 'source' };
  return { target: names[0], source: names[1] };
}

export function alignForSwap(img: DecodedImage, face: Face, kernels: Kernels): { tensor: Float32Array; m: Affine } {
  return alignCrop(img, face.landmarks, SWAP_SIZE, kernels, NORM_0_1);
}

export async function runSwapper(session: Session, crop: { tensor: Float32Array; m: Affine }, latent: Float32Array): Promise<SwappedCrop> {
  const names = inputNames(session);
  const t = performance.now();
  const out = await session.run({
    [names.target]: tensor('float32', crop.tensor, [1, 3, SWAP_SIZE, SWAP_SIZE]),
    [names.source]: tensor('float32', latent, [1, latent.length]),
  });
  const inferenceMs = performance.now() - t;
  const y = floatData(out[session.outputNames[0]], 'inswapper output');
  return { rgb: planesToRgb(y, SWAP_SIZE * SWAP_SIZE), m: crop.m, inferenceMs };
}

function planesToRgb(y: Float32Array, n: number): Uint8Array {
  if (y.length !== 3 * n) throw new RangeError(`inswapper output holds ${y.length} values, expected ${3 * n}`);
  const out = new Uint8Array(3 * n);
  for (let c = 0; c < 3; c++) {
    const plane = c * n;
    for (let i = 0; i < n; i++) {
      const v = 255 * y[plane + i];
      // NaN lands on 0, like a cast of a clipped NaN in numpy on x86.
      out[3 * i + c] = v > 0 ? (v < 255 ? v : 255) : 0;
    }
  }
  return out;
}
