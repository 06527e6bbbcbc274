/**
 * YuNet's anchor-free head, decoded as OpenCV's FaceDetectorYN does: one prediction per grid
 * cell per stride, score = √(cls·obj), centre = (col + dx, row + dy)·s, size = e^(dw, dh)·s,
 * landmark k = (col + kx, row + ky)·s. Coordinates come out in the network input's pixels.
 */
import type { Face, Point } from './types.js';

export const YUNET_STRIDES = [8, 16, 32] as const;

/** One stride's four outputs, flattened (the batch dimension of 1 dropped). */
export interface YunetLevel {
  stride: number;
  cls: Float32Array;
  obj: Float32Array;
  bbox: Float32Array;
  kps: Float32Array;
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** Candidates above `threshold` on an input of `width`×`height` (before NMS). */
export function decodeYunet(levels: readonly YunetLevel[], width: number, height: number, threshold: number): Face[] {
  const out: Face[] = [];
  for (const { stride: s, cls, obj, bbox, kps } of levels) {
    const cols = Math.floor(width / s);
    const rows = Math.floor(height / s);
    if (cls.length !== rows * cols || obj.length !== rows * cols || bbox.length !== 4 * rows * cols || kps.length !== 10 * rows * cols) {
      throw new RangeError(`YuNet stride ${s}: outputs do not match a ${cols}×${rows} grid`);
    }
    for (let r = 0, i = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++, i++) {
        const score = Math.sqrt(clamp01(cls[i]) * clamp01(obj[i]));
        if (!(score >= threshold)) continue;
        const cx = (c + bbox[4 * i]) * s;
        const cy = (r + bbox[4 * i + 1]) * s;
        const w = Math.exp(bbox[4 * i + 2]) * s;
        const h = Math.exp(bbox[4 * i + 3]) * s;
        const lm: Point[] = [];
        for (let k = 0; k < 5; k++) lm.push([(c + kps[10 * i + 2 * k]) * s, (r + kps[10 * i + 2 * k + 1]) * s]);
        out.push({ box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], score, landmarks: lm as Face['landmarks'] });
      }
    }
  }
  return out;
}
