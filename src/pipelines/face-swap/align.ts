/**
 * Face alignment (insightface norm_crop): the similarity taking the 5 landmarks onto the ArcFace
 * template at `size`, and the crop it defines, sampled as cv2.warpAffine does (bilinear, border 0).
 */
import type { Affine, Kernels, Normalization } from '../../native/types.js';
import type { DecodedImage } from '../../imaging/decoded-image.js';
import { invertAffine, similarityTransform } from './affine.js';
import { templateFor } from './template.js';
import type { Face } from './types.js';

/** Source → crop transform for a `size`-pixel crop (112: ArcFace; 128: inswapper). */
export function alignmentMatrix(landmarks: Face['landmarks'], size: number): Affine {
  return similarityTransform(landmarks, templateFor(size));
}

export interface AlignedCrop {
  /** f32 NCHW [1,3,size,size], normalised as asked. */
  tensor: Float32Array;
  /** Source → crop (insightface's M). */
  m: Affine;
}

export function alignCrop(img: DecodedImage, landmarks: Face['landmarks'], size: number, kernels: Kernels,
  norm: Normalization, out?: Float32Array): AlignedCrop {
  const m = alignmentMatrix(landmarks, size);
  // The kernel walks crop pixels and samples the source: it wants crop → source.
  const tensor = kernels.warpAffineToNchw(img.data, img.width, img.height, img.channels, invertAffine(m), size, size, norm, out);
  return { tensor, m };
}
