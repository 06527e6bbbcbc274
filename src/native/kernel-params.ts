/**
 * Parameters derived once in TypeScript and handed to either backend, so both use
 * the very same numbers (Math.exp and Rust's exp may differ in the last bit).
 */
import type { Affine } from './types.js';

/** Largest accepted blur sigma: the kernel radius is ceil(3*sigma) ≤ 3072. */
export const MAX_SIGMA = 1024;

/** Normalised half-kernel: index = distance from the centre, radius = ceil(3*sigma). */
export function gaussianWeights(sigma: number): Float64Array {
  const radius = Math.ceil(3 * sigma);
  const w = new Float64Array(radius + 1);
  if (radius === 0) {
    w[0] = 1;
    return w;
  }
  const denom = 2 * sigma * sigma;
  let sum = 0;
  for (let i = 0; i <= radius; i++) {
    w[i] = Math.exp(-(i * i) / denom);
    sum += i === 0 ? w[i] : 2 * w[i];
  }
  for (let i = 0; i <= radius; i++) w[i] /= sum;
  return w;
}

/**
 * Frame region [x0, x1) × [y0, y1) that can receive paste-back pixels: a bilinear
 * sample of the crop is non-zero only for crop coordinates in (-1, cropW) × (-1, cropH),
 * so the region is the bounding box of that rectangle mapped back through M⁻¹, widened
 * by a pixel against rounding and clipped to the frame. A singular M visits the frame.
 */
export function pasteRegion(m: Affine, cropW: number, cropH: number, width: number, height: number):
  [number, number, number, number] {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  if (det === 0 || !Number.isFinite(det)) return [0, 0, width, height];
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const u of [-1, cropW]) {
    for (const v of [-1, cropH]) {
      const du = u - c;
      const dv = v - f;
      const x = (e * du - b * dv) / det;
      const y = (a * dv - d * du) / det;
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    }
  }
  if (![minX, minY, maxX, maxY].every(Number.isFinite)) return [0, 0, width, height];
  const clip = (v: number, hi: number): number => Math.min(Math.max(v, 0), hi);
  return [
    clip(Math.floor(minX) - 1, width), clip(Math.floor(minY) - 1, height),
    clip(Math.ceil(maxX) + 2, width), clip(Math.ceil(maxY) + 2, height),
  ];
}
