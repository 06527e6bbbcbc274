/** The ArcFace 5-point template (insightface `arcface_dst`) and its versions at other crop sizes. */
import type { Point } from './types.js';

export const ARCFACE_112: readonly Point[] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

/**
 * insightface's estimate_norm: sizes that are multiples of 112 scale the template; multiples of
 * 128 scale by S/128 and shift x by 8·S/128 (so the 128 crop holds the 112 face with a margin).
 */
export function templateFor(size: number): Point[] {
  if (size % 112 === 0) {
    const r = size / 112;
    return ARCFACE_112.map(([x, y]) => [x * r, y * r] as const);
  }
  if (size % 128 === 0) {
    const r = size / 128;
    return ARCFACE_112.map(([x, y]) => [x * r + 8 * r, y * r] as const);
  }
  throw new RangeError(`no ArcFace template for a ${size}-pixel crop (use a multiple of 112 or 128)`);
}
