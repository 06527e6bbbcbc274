/**
 * ArcFace w600k_r50: aligned 112 crop, RGB, (x − 127.5)/127.5 → 512-d embedding, L2-normalised
 * (insightface's `normed_embedding`).
 */
import { NORM_NEG1_1, type Kernels } from '../../native/types.js';
import { tensor, type Session } from '../../runtime/index.js';
import type { DecodedImage } from '../../imaging/decoded-image.js';
import { alignCrop } from './align.js';
import { floatData } from './tensors.js';
import type { Face } from './types.js';
import { l2Normalize } from './vector.js';

export const ARCFACE_SIZE = 112;

export async function faceEmbedding(session: Session, img: DecodedImage, face: Face, kernels: Kernels): Promise<Float32Array> {
  const crop = alignCrop(img, face.landmarks, ARCFACE_SIZE, kernels, NORM_NEG1_1);
  const out = await session.run({ [session.inputNames[0]]: tensor('float32', crop.tensor, [1, 3, ARCFACE_SIZE, ARCFACE_SIZE]) });
  const e = floatData(out[session.outputNames[0]], 'ArcFace embedding');
  return l2Normalize(Float32Array.from(e));
}
