/**
 * The feathered square mask (face_swap's paste-back, reused by face_enhance at 512²) is built
 * from one line: it must equal the 2-D recipe it replaces (a white square with a black frame,
 * eroded by a square kernel, blurred by a Gaussian) within float rounding.
 */
import { describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/native/index.js';
import type { Affine } from '../../src/native/types.js';
import { affineScale } from '../../src/pipelines/face-swap/affine.js';
import { featherMask, featherSizes } from '../../src/pipelines/face-swap/paste-back.js';

const kernels = loadKernels();

function twoD(m: Affine, n: number): Float32Array {
  const { erodeFrame, sigmaFrame } = featherSizes(m, n);
  const s = affineScale(m);
  const mask = new Float32Array(n * n);
  for (let y = 1; y < n - 1; y++) mask.fill(1, y * n + 1, (y + 1) * n - 1);
  const sigma = sigmaFrame * s;
  const radius = Math.max(Math.round((erodeFrame / 2) * s - 1.5), Math.ceil(3 * sigma));
  return kernels.gaussianBlur(kernels.erode(mask, n, n, radius), n, n, sigma);
}

describe('featherMask', () => {
  it.each([
    ['a small face at 512² (enhancer crop, large upsampling)', [4.2, 0.3, -500, -0.3, 4.2, -300], 512],
    ['a large face at 512²', [1.1, 0, 3, 0, 1.1, 4], 512],
    ['the inswapper 128 crop of a big face', [0.6, 0.1, -20, -0.1, 0.6, -30], 128],
  ] as [string, Affine, number][])('%s: equals the 2-D erosion and blur', (_name, m, n) => {
    const a = featherMask(m, n, kernels);
    const b = twoD(m, n);
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
    expect(diff).toBeLessThan(1e-6);
    expect(a[0]).toBe(0);
    expect(a[(n >> 1) * n + (n >> 1)]).toBeCloseTo(1, 5);
  });
});
