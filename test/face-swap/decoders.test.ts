/**
 * Detector head decoding on synthetic tensors whose answer is known: one strong prediction
 * planted at a chosen cell/anchor among zeros, decoded by hand from the formulas in
 * MODELS.md §4 (SCRFD) and the fixtures README (YuNet); then NMS.
 */
import { describe, expect, it } from 'vitest';
import { iou, nms } from '../../src/pipelines/face-swap/nms.js';
import { decodeScrfd, type ScrfdLevel } from '../../src/pipelines/face-swap/scrfd-decode.js';
import type { Face } from '../../src/pipelines/face-swap/types.js';
import { decodeYunet, type YunetLevel } from '../../src/pipelines/face-swap/yunet-decode.js';

function scrfdLevels(w: number, h: number): ScrfdLevel[] {
  return [8, 16, 32].map((stride) => {
    const n = (w / stride) * (h / stride) * 2;
    return { stride, scores: new Float32Array(n), boxes: new Float32Array(4 * n), kps: new Float32Array(10 * n) };
  });
}

describe('SCRFD decoding', () => {
  it('places a planted prediction at its anchor centre (x fastest, 2 anchors, no +0.5)', () => {
    const W = 640, H = 320;
    const levels = scrfdLevels(W, H);
    const lv = levels[1]; // stride 16: 40 columns
    const col = 7, row = 3, anchor = 1;
    const i = (row * 40 + col) * 2 + anchor;
    lv.scores[i] = 0.9;
    lv.boxes.set([1, 2, 3, 4], 4 * i);
    lv.kps.set([0.5, -0.5, 1, 1, 0, 0, -1, 2, 2, -1], 10 * i);
    const faces = decodeScrfd(levels, W, H, 0.5);
    expect(faces).toHaveLength(1);
    const cx = col * 16, cy = row * 16;
    expect(faces[0].score).toBeCloseTo(0.9, 6);
    expect(faces[0].box).toEqual([cx - 16, cy - 32, cx + 48, cy + 64]);
    expect(faces[0].landmarks).toEqual([[cx + 8, cy - 8], [cx + 16, cy + 16], [cx, cy], [cx - 16, cy + 32], [cx + 32, cy - 16]]);
  });

  it('keeps scores ≥ threshold only, and checks output sizes against the grid', () => {
    const levels = scrfdLevels(64, 64);
    levels[0].scores[0] = 0.5;
    levels[0].scores[1] = 0.4999;
    levels[2].scores[7] = 0.7; // stride 32, 2×2 grid: cell 3 = (1, 1), anchor 1
    const faces = decodeScrfd(levels, 64, 64, 0.5);
    expect(faces.map((f) => f.score)).toEqual([0.5, expect.closeTo(0.7, 6)]);
    expect(faces[1].box).toEqual([32, 32, 32, 32]);
    expect(() => decodeScrfd(levels, 96, 64, 0.5)).toThrow(/stride 8/);
  });
});

describe('YuNet decoding', () => {
  it('decodes score √(cls·obj), centre (col+dx)·s, size e^d·s, landmarks (col+kx)·s', () => {
    const W = 64, H = 32;
    const levels: YunetLevel[] = [8, 16, 32].map((stride) => {
      const n = (W / stride) * (H / stride);
      return { stride, cls: new Float32Array(n), obj: new Float32Array(n), bbox: new Float32Array(4 * n), kps: new Float32Array(10 * n) };
    });
    const lv = levels[0]; // 8 columns × 4 rows
    const i = 2 * 8 + 5; // row 2, col 5
    lv.cls[i] = 0.81;
    lv.obj[i] = 1.2; // clamped to 1
    lv.bbox.set([0.5, 0.25, Math.log(3), Math.log(2)], 4 * i);
    lv.kps.set([0, 0, 1, 0, 0.5, 0.5, 0, 1, 1, 1], 10 * i);
    const faces = decodeYunet(levels, W, H, 0.9);
    expect(faces).toHaveLength(1);
    expect(faces[0].score).toBeCloseTo(0.9, 6);
    const [cx, cy] = [(5 + 0.5) * 8, (2 + 0.25) * 8];
    faces[0].box.forEach((v, k) => expect(v).toBeCloseTo([cx - 12, cy - 8, cx + 12, cy + 8][k], 5));
    expect(faces[0].landmarks).toEqual([[40, 16], [48, 16], [44, 20], [40, 24], [48, 24]]);
  });
});

describe('NMS', () => {
  const face = (box: Face['box'], score: number): Face => ({ box, score, landmarks: [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0]] });

  it('IoU with and without the +1 pixel convention', () => {
    expect(iou([0, 0, 10, 10], [5, 0, 15, 10], false)).toBeCloseTo(50 / 150, 12);
    expect(iou([0, 0, 10, 10], [5, 0, 15, 10], true)).toBeCloseTo(66 / 176, 12);
    expect(iou([0, 0, 1, 1], [5, 5, 6, 6], false)).toBe(0);
  });

  it('drops the weaker of two overlapping faces, keeps a distant one, best first', () => {
    const kept = nms([face([0, 0, 10, 10], 0.6), face([1, 0, 11, 10], 0.9), face([50, 50, 60, 60], 0.7)], 0.4, true);
    expect(kept.map((f) => f.score)).toEqual([0.9, 0.7]);
  });

  it('keeps a box whose IoU is exactly the threshold', () => {
    // IoU 50/150 = 1/3 without +1.
    const kept = nms([face([0, 0, 10, 10], 0.9), face([5, 0, 15, 10], 0.8)], 1 / 3, false);
    expect(kept).toHaveLength(2);
  });
});
