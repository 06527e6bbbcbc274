/**
 * SCRFD det_10g's head (MODELS.md §4): per stride s, anchor centres (x·s, y·s) row-major with x
 * fastest, no +0.5, each repeated once per anchor; boxes are distances to the four sides and
 * keypoints offsets from the centre, both in units of s. Coordinates are in the network input's pixels.
 */
import type { Face, Point } from './types.js';

export const SCRFD_STRIDES = [8, 16, 32] as const;
export const SCRFD_ANCHORS = 2;

/** One stride's outputs, flattened (a leading batch dimension of 1 changes nothing). */
export interface ScrfdLevel {
  stride: number;
  scores: Float32Array;
  boxes: Float32Array;
  kps: Float32Array;
}

export function decodeScrfd(levels: readonly ScrfdLevel[], width: number, height: number, threshold: number,
  anchors = SCRFD_ANCHORS): Face[] {
  const out: Face[] = [];
  for (const { stride: s, scores, boxes, kps } of levels) {
    const cols = Math.floor(width / s);
    const rows = Math.floor(height / s);
    const n = rows * cols * anchors;
    if (scores.length !== n || boxes.length !== 4 * n || kps.length !== 10 * n) {
      throw new RangeError(`SCRFD stride ${s}: outputs hold ${scores.length} rows, expected ${n} for a ${cols}×${rows} grid`);
    }
    for (let i = 0; i < n; i++) {
      const score = scores[i];
      if (!(score >= threshold)) continue;
      const cell = Math.floor(i / anchors);
      const cx = (cell % cols) * s;
      const cy = Math.floor(cell / cols) * s;
      const lm: Point[] = [];
      for (let k = 0; k < 5; k++) lm.push([cx + kps[10 * i + 2 * k] * s, cy + kps[10 * i + 2 * k + 1] * s]);
      out.push({
        box: [cx - boxes[4 * i] * s, cy - boxes[4 * i + 1] * s, cx + boxes[4 * i + 2] * s, cy + boxes[4 * i + 3] * s],
        score,
        landmarks: lm as Face['landmarks'],
      });
    }
  }
  return out;
}
