/**
 * keep_target_regions: the target's own eyes and/or mouth showing through the swapped face. The
 * regions' hulls from the target's mesh are grown by 3σ and blurred by σ (σ as the regions mask's
 * feather), so the keep weight is ≥ 0.998 everywhere inside them (the target's pixels there, not
 * a mix) and fades out just outside instead of leaving a hard seam. The blend mask is multiplied
 * by 1 − keep.
 */
import type { Affine, Kernels } from '../../native/types.js';
import { rasterRegions } from './mask.js';
import type { KeepRegion } from './params.js';

/** The keep weight (0–1) over a width×height space; `toSpace`: image → that space, `faceSize` in its pixels. */
export function keepTargetMask(points: Float32Array, regions: readonly KeepRegion[], toSpace: Affine, width: number, height: number,
  faceSize: number, blur: number, kernels: Kernels): Float32Array {
  const hard = rasterRegions(points, { kind: 'regions', regions: [...regions] }, toSpace, width, height);
  const sigma = blur * 0.05 * faceSize * 0.5;
  if (sigma < 0.3) return hard;
  // Dilation as the erosion of the complement.
  for (let i = 0; i < hard.length; i++) hard[i] = 1 - hard[i];
  const grown = kernels.erode(hard, width, height, Math.ceil(3 * sigma));
  for (let i = 0; i < grown.length; i++) grown[i] = 1 - grown[i];
  return kernels.gaussianBlur(grown, width, height, sigma);
}

/** mask ← mask · (1 − keep), in place. */
export function applyKeep(mask: Float32Array, keep: Float32Array): void {
  for (let i = 0; i < mask.length; i++) mask[i] *= 1 - keep[i];
}
