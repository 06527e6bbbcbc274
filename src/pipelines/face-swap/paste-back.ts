/**
 * insightface's paste_back (MODELS.md §4), computed in crop space: the white 128×128 mask is
 * eroded and feathered there, with the kernel sizes insightface derives from the mask's extent
 * in the frame converted to crop pixels, and `kernels.pasteBack` warps crop and mask into the
 * frame and blends them in one pass. Working on 128² instead of a face-sized patch of the frame
 * keeps the cost independent of how large the face is; frame pixels the warped mask does not
 * reach (mask 0) are never written.
 */
import type { Affine, Kernels } from '../../native/types.js';
import { affineScale, applyAffine, invertAffine } from './affine.js';

export interface FeatherSizes {
  /** insightface's `size = int(√(h·w))` of the warped mask, frame pixels. */
  size: number;
  /** Erosion kernel side k, frame pixels. */
  erodeFrame: number;
  /** Gaussian σ (as OpenCV derives it from ksize), frame pixels. */
  sigmaFrame: number;
}

export function featherSizes(m: Affine, cropSize: number): FeatherSizes {
  const im = invertAffine(m);
  const last = cropSize - 1;
  const corners = ([[0, 0], [last, 0], [0, last], [last, last]] as const).map((p) => applyAffine(im, p));
  const xs = corners.map((p) => p[0]);
  const ys = corners.map((p) => p[1]);
  const h = Math.max(...ys) - Math.min(...ys);
  const w = Math.max(...xs) - Math.min(...xs);
  const size = Math.trunc(Math.sqrt(h * w));
  const erodeFrame = Math.max(Math.trunc(size / 10), 10);
  const ksize = 2 * Math.max(Math.trunc(size / 20), 5) + 1;
  const sigmaFrame = 0.3 * ((ksize - 1) / 2 - 1) + 0.8;
  return { size, erodeFrame, sigmaFrame };
}

/**
 * The feathered blend mask in crop space (f32 in [0,1], cropSize²). A square eroded by a square
 * kernel and blurred by a separable Gaussian is the outer product of one row treated the same
 * way, so the work is done on one line (a 512² mask in ~1 ms instead of ~100).
 */
export function featherMask(m: Affine, cropSize: number, kernels: Kernels): Float32Array {
  const { erodeFrame, sigmaFrame } = featherSizes(m, cropSize);
  const s = affineScale(m); // crop pixels per frame pixel
  // A white line with one black pixel at each end, so erosion eats in from the crop's edge (the
  // kernel's erosion clamps at the border, which would otherwise keep the edge white).
  const line = new Float32Array(cropSize).fill(1, 1, cropSize - 1);
  // A k×k erosion moves the edge in by k/2 frame pixels; the black frame already counts ~1.5.
  // OpenCV truncates its Gaussian at ksize/2 ≈ k/2, so the feather is exactly 0 at the crop's
  // edge; this blur reaches ⌈3σ⌉, so erode at least that far to keep the edge at exactly 0.
  const sigma = sigmaFrame * s;
  const radius = Math.max(Math.round((erodeFrame / 2) * s - 1.5), Math.ceil(3 * sigma));
  const f = kernels.gaussianBlur(kernels.erode(line, cropSize, 1, radius), cropSize, 1, sigma);
  const mask = new Float32Array(cropSize * cropSize);
  for (let y = 0; y < cropSize; y++) {
    const fy = f[y];
    if (fy === 0) continue;
    for (let x = 0; x < cropSize; x++) mask[y * cropSize + x] = fy * f[x];
  }
  return mask;
}

/** Blends the swapped crop (u8 RGB HWC) into `frame` in place; alpha, if any, is kept. */
export function pasteBack(frame: Uint8Array, width: number, height: number, channels: number,
  crop: Uint8Array, cropSize: number, m: Affine, kernels: Kernels): void {
  const mask = featherMask(m, cropSize, kernels);
  kernels.pasteBack(frame, width, height, channels, crop, cropSize, cropSize, mask, m);
}
