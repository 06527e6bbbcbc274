/**
 * The guided filter kernel: both backends against a direct per-window reference, native and
 * fallback bit for bit, the filter's defining properties (a constant stays constant; an edge of
 * the guide becomes a sharp edge of the output), and misuse.
 */
import { describe, expect, it } from 'vitest';
import { SEED, backends, firstDiff, int, maxRelDiff, randomF32, rng } from './support.js';

const ROUNDS = 12;

/** Window means computed by visiting each clipped window (no summed-area tables). */
function refGuided(I: Float32Array, p: Float32Array, w: number, h: number, r: number, eps: number): Float64Array {
  const mean = (f: (i: number) => number) => {
    const out = new Float64Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        let n = 0;
        for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
          for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) {
            s += f(yy * w + xx);
            n++;
          }
        }
        out[y * w + x] = s / n;
      }
    }
    return out;
  };
  const mI = mean((i) => I[i]);
  const mP = mean((i) => p[i]);
  const mIp = mean((i) => I[i] * p[i]);
  const mII = mean((i) => I[i] * I[i]);
  const a = new Float64Array(w * h);
  const b = new Float64Array(w * h);
  for (let i = 0; i < w * h; i++) {
    a[i] = (mIp[i] - mI[i] * mP[i]) / (mII[i] - mI[i] * mI[i] + eps);
    b[i] = mP[i] - a[i] * mI[i];
  }
  const mA = mean((i) => a[i]);
  const mB = mean((i) => b[i]);
  return mA.map((v, i) => v * I[i] + mB[i]);
}

describe(`guidedFilter (seed ${SEED})`, () => {
  it('matches the direct per-window reference within 1e-4; native and fallback are bit-identical', () => {
    const r = rng(SEED + 40);
    for (let round = 0; round < ROUNDS; round++) {
      const w = int(r, 1, 48);
      const h = int(r, 1, 40);
      const radius = int(r, 0, 6);
      const eps = [1e-4, 1e-3, 1e-2, 0.1][round % 4];
      const guide = randomF32(r, w * h, 0, 1);
      const src = randomF32(r, w * h, 0, 1);
      const want = refGuided(guide, src, w, h, radius, eps);
      const outs = backends.map((k) => k.guidedFilter(guide, src, w, h, radius, eps));
      for (const [i, got] of outs.entries()) {
        expect(maxRelDiff(got, want), `${backends[i].backend} ${w}x${h} r=${radius} eps=${eps}`).toBeLessThan(1e-4);
      }
      if (outs.length === 2) expect(firstDiff(outs[1], outs[0]), `${w}x${h} r=${radius}`).toBe(-1);
    }
  });

  it('keeps a constant source constant and snaps a blurred edge onto the guide\'s edge', () => {
    const w = 64;
    const h = 8;
    const guide = new Float32Array(w * h);
    const blurred = new Float32Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        guide[y * w + x] = x < 30 ? 0.1 : 0.9; // the picture's edge is between x = 29 and 30
        blurred[y * w + x] = Math.min(Math.max((x - 22) / 16, 0), 1); // a 16-pixel ramp around it
      }
    }
    for (const k of backends) {
      const flat = k.guidedFilter(guide, new Float32Array(w * h).fill(0.25), w, h, 4, 1e-3);
      expect(Math.max(...flat.map((v) => Math.abs(v - 0.25))), k.backend).toBeLessThan(1e-6);
      const q = k.guidedFilter(guide, blurred, w, h, 8, 1e-4);
      const row = Array.from(q.subarray(3 * w, 4 * w));
      // The ramp's change gathers into one jump at the guide's edge (the ramp itself rises
      // 0.0625 per pixel there), and the steps beside the edge are smaller than the ramp's.
      const step = (x: number) => row[x + 1] - row[x];
      expect(step(29), k.backend).toBeGreaterThan(0.3);
      expect(step(29), k.backend).toBeGreaterThan(5 * (blurred[30] - blurred[29]));
      for (const x of [26, 27, 28, 30, 31, 32]) expect(Math.abs(step(x)), `${k.backend} x=${x}`).toBeLessThan(blurred[30] - blurred[29]);
    }
  });

  it('refuses eps <= 0 and arrays of the wrong length with a TypeError', () => {
    for (const k of backends) {
      const a = new Float32Array(12);
      expect(() => k.guidedFilter(a, a, 4, 3, 1, 0)).toThrow(TypeError);
      expect(() => k.guidedFilter(a, new Float32Array(11), 4, 3, 1, 1e-3)).toThrow(TypeError);
      expect(() => k.guidedFilter(a, a, 4, 3, 1, 1e-3, a)).toThrow(TypeError);
    }
  });
});
