/**
 * Alignment maths: the closed-form Umeyama similarity against the reference transform in
 * MODELS.md §4 (computed there with skimage), the template at 112 and 128, and inversion.
 */
import { describe, expect, it } from 'vitest';
import { applyAffine, invertAffine, similarityTransform } from '../../src/pipelines/face-swap/affine.js';
import { alignmentMatrix } from '../../src/pipelines/face-swap/align.js';
import { ARCFACE_112, templateFor } from '../../src/pipelines/face-swap/template.js';
import type { Face } from '../../src/pipelines/face-swap/types.js';

const KPS: Face['landmarks'] = [[100, 120], [160, 118], [130, 150], [108, 180], [152, 178]];

describe('similarity transform (Umeyama, closed form)', () => {
  it('reproduces the reference M at 112', () => {
    const m = alignmentMatrix(KPS, 112);
    const ref = [0.649705, -0.006502, -27.465333, 0.006502, 0.649705, -25.880447];
    m.forEach((v, i) => expect(v).toBeCloseTo(ref[i], 5));
  });

  it('at 128 only tx changes, by +8', () => {
    const m112 = alignmentMatrix(KPS, 112);
    const m128 = alignmentMatrix(KPS, 128);
    expect(m128[2] - m112[2]).toBeCloseTo(8, 9);
    for (const i of [0, 1, 3, 4, 5]) expect(m128[i]).toBeCloseTo(m112[i], 12);
  });

  it('recovers an exact similarity (rotation 30°, scale 2.5, shift) from its images', () => {
    const th = Math.PI / 6, s = 2.5;
    const truth = [s * Math.cos(th), -s * Math.sin(th), 13, s * Math.sin(th), s * Math.cos(th), -7] as const;
    const dst = KPS.map((p) => applyAffine(truth, p));
    const m = similarityTransform(KPS, dst);
    m.forEach((v, i) => expect(v).toBeCloseTo(truth[i], 10));
  });

  it('refuses coincident points instead of returning NaNs', () => {
    expect(() => similarityTransform([[1, 1], [1, 1]], [[0, 0], [1, 1]])).toThrow(RangeError);
  });
});

describe('templates and inverse', () => {
  it('the 128 template is the 112 one shifted by 8 in x (the values MODELS.md lists)', () => {
    const t = templateFor(128);
    const listed = [[46.2946, 51.6963], [81.5318, 51.5014], [64.0252, 71.7366], [49.5493, 92.3655], [78.7299, 92.2041]];
    t.forEach((p, i) => {
      expect(p[0]).toBeCloseTo(listed[i][0], 9);
      expect(p[1]).toBeCloseTo(listed[i][1], 9);
    });
    expect(templateFor(224)[0]).toEqual([ARCFACE_112[0][0] * 2, ARCFACE_112[0][1] * 2]);
    expect(() => templateFor(100)).toThrow(RangeError);
  });

  it('invertAffine undoes the transform', () => {
    const m = alignmentMatrix(KPS, 128);
    const im = invertAffine(m);
    for (const p of KPS) {
      const back = applyAffine(im, applyAffine(m, p));
      expect(back[0]).toBeCloseTo(p[0], 9);
      expect(back[1]).toBeCloseTo(p[1], 9);
    }
  });
});
