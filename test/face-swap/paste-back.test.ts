/**
 * Paste-back: feather sizes as insightface derives them, and the blend itself on synthetic
 * frames with both kernel backends: the face centre takes the crop, the feather ramps,
 * everything outside the warped crop is untouched.
 */
import { describe, expect, it } from 'vitest';
import { fallbackKernels, loadKernels } from '../../src/native/index.js';
import type { Affine } from '../../src/native/types.js';
import { applyAffine, invertAffine } from '../../src/pipelines/face-swap/affine.js';
import { featherMask, featherSizes, pasteBack } from '../../src/pipelines/face-swap/paste-back.js';

// Frame → crop: a 128 crop covering a 200-px square at (100, 50), rotated by 10°.
function faceMatrix(): Affine {
  const s = 128 / 200, th = (10 * Math.PI) / 180;
  const a = s * Math.cos(th), b = s * Math.sin(th);
  // Crop centre (63.5, 63.5) ← frame point (200, 150).
  return [a, b, 63.5 - (a * 200 + b * 150), -b, a, 63.5 - (-b * 200 + a * 150)];
}

describe('feather sizes', () => {
  it('follow insightface: size = √(h·w) of the warped mask, k = max(size/10, 10), ksize = 2·max(size/20, 5)+1', () => {
    const s = 128 / 200;
    const axis: Affine = [s, 0, -s * 100, 0, s, -s * 50];
    const f = featherSizes(axis, 128);
    expect(f.size).toBe(198); // 127 crop pixels span 198.4 frame pixels
    expect(f.erodeFrame).toBe(19);
    // ksize 19 → σ = 0.3·(9 − 1) + 0.8
    expect(f.sigmaFrame).toBeCloseTo(3.2, 12);
    const small = featherSizes([2, 0, 0, 0, 2, 0], 128); // a 64-px face: the minimums apply
    expect(small.erodeFrame).toBe(10);
    expect(small.sigmaFrame).toBeCloseTo(2, 12);
  });

  it('the mask is 1 in the middle, 0 at the crop edge, and rises monotonically in between', () => {
    const mask = featherMask(faceMatrix(), 128, loadKernels());
    const row = Array.from(mask.subarray(64 * 128, 65 * 128));
    expect(row[64]).toBeCloseTo(1, 6);
    expect(row[0]).toBe(0);
    expect(row[127]).toBe(0);
    for (let x = 1; x <= 64; x++) expect(row[x]).toBeGreaterThanOrEqual(row[x - 1] - 1e-7);
  });
});

describe('pasteBack', () => {
  for (const kernels of [loadKernels(), fallbackKernels]) {
    it(`blends inside the warped crop only (${kernels.backend})`, () => {
      const W = 400, H = 300, C = 4;
      const frame = new Uint8Array(W * H * C);
      for (let i = 0; i < frame.length; i += 4) frame.set([40, 80, 120, 200], i);
      const before = Uint8Array.from(frame);
      const crop = new Uint8Array(128 * 128 * 3).fill(250);
      const m = faceMatrix();
      pasteBack(frame, W, H, C, crop, 128, m, kernels);
      let changed = 0;
      let outside = 0;
      let alphaTouched = 0;
      const im = invertAffine(m);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const p = (y * W + x) * C;
          const diff = frame[p] !== before[p] || frame[p + 1] !== before[p + 1] || frame[p + 2] !== before[p + 2];
          if (frame[p + 3] !== 200) alphaTouched++;
          if (!diff) continue;
          changed++;
          const [cx, cy] = applyAffine(m, [x, y]);
          // Changed pixels map inside the crop (the mask is 0 on its edge row and column).
          if (!(cx > 0 && cx < 127 && cy > 0 && cy < 127)) outside++;
        }
      }
      expect(alphaTouched).toBe(0);
      expect(outside).toBe(0);
      // The face centre takes the crop's colour exactly; well over half the crop's area changed.
      const [fx, fy] = applyAffine(im, [63.5, 63.5]).map(Math.round);
      expect(Array.from(frame.subarray((fy * W + fx) * C, (fy * W + fx) * C + 3))).toEqual([250, 250, 250]);
      expect(changed).toBeGreaterThan(0.5 * 200 * 200);
      expect(changed).toBeLessThan(200 * 200 * 1.1);
    });
  }
});
