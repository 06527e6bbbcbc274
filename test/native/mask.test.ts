import { describe, expect, it } from 'vitest';
import { SEED, backends, fallback, firstDiff, int, maxRelDiff, native, randomF32, randomSize, rng } from './support.js';

const ROUNDS = 20;

function clampIdx(v: number, n: number): number {
  return Math.min(Math.max(v, 0), n - 1);
}

/** Direct 2-D convolution with a Gaussian of radius ceil(3σ), borders replicated. */
function refBlur(mask: Float32Array, w: number, h: number, sigma: number): Float32Array {
  const r = Math.ceil(3 * sigma);
  const g = (i: number): number => (sigma === 0 ? (i === 0 ? 1 : 0) : Math.exp(-(i * i) / (2 * sigma * sigma)));
  let norm = 0;
  for (let i = -r; i <= r; i++) norm += g(i);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let j = -r; j <= r; j++) {
        for (let i = -r; i <= r; i++) {
          acc += g(i) * g(j) * mask[clampIdx(y + j, h) * w + clampIdx(x + i, w)];
        }
      }
      out[y * w + x] = acc / (norm * norm);
    }
  }
  return out;
}

/** Minimum over the (2r+1)² window clipped to the image. */
function refErode(mask: Float32Array, w: number, h: number, r: number): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let m = Infinity;
      for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
        for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) m = Math.min(m, mask[yy * w + xx]);
      }
      out[y * w + x] = m;
    }
  }
  return out;
}

describe(`gaussianBlur (seed ${SEED})`, () => {
  it('matches a direct 2-D convolution within 1e-5; native and fallback within 1e-5', () => {
    const r = rng(SEED + 20);
    for (let round = 0; round < ROUNDS; round++) {
      const [w, h] = round % 5 === 0 ? [int(r, 1, 80), int(r, 1, 60)] : randomSize(r, round);
      const sigma = round === 4 ? 0 : r() * 4;
      const mask = randomF32(r, w * h, 0, 1);
      const want = refBlur(mask, w, h, sigma);
      const outs = backends.map((k) => k.gaussianBlur(mask, w, h, sigma));
      for (const [i, got] of outs.entries()) {
        expect(maxRelDiff(got, want), `${backends[i].backend} ${w}x${h} σ=${sigma} seed ${SEED}`).toBeLessThan(1e-5);
      }
      if (outs.length === 2) expect(maxRelDiff(outs[1], outs[0])).toBeLessThan(1e-5);
    }
  });

  it('keeps a constant mask constant and works in place', () => {
    const r = rng(SEED + 21);
    for (const k of backends) {
      const flat = new Float32Array(31 * 17).fill(0.75);
      expect(maxRelDiff(k.gaussianBlur(flat, 31, 17, 2.5), flat), k.backend).toBeLessThan(1e-6);
      const mask = randomF32(r, 23 * 19, 0, 1);
      const separate = k.gaussianBlur(mask, 23, 19, 1.7);
      const same = k.gaussianBlur(mask, 23, 19, 1.7, mask);
      expect(same, k.backend).toBe(mask);
      expect(firstDiff(same, separate), k.backend).toBe(-1);
    }
  });
});

describe(`erode (seed ${SEED})`, () => {
  it('equals the windowed minimum exactly', () => {
    const r = rng(SEED + 22);
    for (let round = 0; round < ROUNDS; round++) {
      const [w, h] = randomSize(r, round);
      const radius = round === 3 ? 0 : round === 6 ? 500 : int(r, 1, 9);
      const mask = randomF32(r, w * h, -1, 1);
      const want = refErode(mask, w, h, radius);
      for (const k of backends) {
        expect(firstDiff(k.erode(mask, w, h, radius), want), `${k.backend} ${w}x${h} r=${radius} seed ${SEED}`)
          .toBe(-1);
      }
    }
  });

  it('works in place', () => {
    const r = rng(SEED + 23);
    for (const k of backends) {
      const mask = randomF32(r, 29 * 11, 0, 1);
      const separate = k.erode(mask, 29, 11, 3);
      expect(firstDiff(k.erode(mask, 29, 11, 3, mask), separate), k.backend).toBe(-1);
    }
  });
});

describe.skipIf(!native)(`mask filters on a large mask (seed ${SEED})`, () => {
  it('native and fallback agree (threaded path): erode exactly, blur within 1e-5', () => {
    const r = rng(SEED + 24);
    const [w, h] = [int(r, 600, 900), int(r, 400, 600)];
    const mask = randomF32(r, w * h, 0, 1);
    expect(firstDiff(native!.erode(mask, w, h, 7), fallback.erode(mask, w, h, 7))).toBe(-1);
    expect(maxRelDiff(native!.gaussianBlur(mask, w, h, 5.5), fallback.gaussianBlur(mask, w, h, 5.5)))
      .toBeLessThan(1e-5);
  });
});
