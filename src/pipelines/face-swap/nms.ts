/** Greedy non-maximum suppression over scored faces, as detectors' reference code does it. */
import type { Face } from './types.js';

/**
 * `pixelInclusive`: areas as (x2−x1+1)(y2−y1+1), the convention of insightface's SCRFD code;
 * otherwise (x2−x1)(y2−y1), as OpenCV's NMSBoxes (YuNet's reference decoder).
 */
export function iou(a: Face['box'], b: Face['box'], pixelInclusive: boolean): number {
  const one = pixelInclusive ? 1 : 0;
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]) + one);
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]) + one);
  const inter = iw * ih;
  const area = (r: Face['box']) => (r[2] - r[0] + one) * (r[3] - r[1] + one);
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Highest score first; a face is kept when its IoU with every kept face is ≤ `threshold`.
 * Only the `topK` best candidates are considered (as OpenCV's YuNet demo does), which bounds
 * the quadratic cost when a detector fires everywhere.
 */
export function nms(faces: readonly Face[], threshold: number, pixelInclusive: boolean, topK = 2000): Face[] {
  const order = [...faces].sort((x, y) => y.score - x.score).slice(0, topK);
  const kept: Face[] = [];
  for (const f of order) {
    if (kept.every((k) => iou(k.box, f.box, pixelInclusive) <= threshold)) kept.push(f);
  }
  return kept;
}
