/**
 * The mesh engine's colour transfer and blend kernels: the transfer of a patch onto the frame's
 * own pixels changes nothing, a darkened patch takes the frame's brightness back, pixels outside
 * the mask or the warp are never touched; the blend is mask·rgb + (1 − mask)·frame rounded half
 * up, alpha and the rest of the frame kept; and the native kernels give the fallback's results
 * (the blend the same bytes, the transfer the same floats to 1e-3: only its cube root differs).
 */
import { describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/native/types.js';
import { SEED, backends, fallback, int, native, randomU8, rng } from './support.js';

interface Case {
  frame: Uint8Array; fw: number; fh: number; ch: number;
  x0: number; y0: number; w: number; h: number;
  rgb: Float32Array; mask: Float32Array; covered: Uint8Array;
}

/** A random frame and patch; the patch's rgb is the frame under it × `gain` + up to `noise`, a soft disc mask. */
function makeCase(next: () => number, gain: number, noise = 0.5): Case {
  const [fw, fh, ch] = [int(next, 30, 80), int(next, 30, 70), next() < 0.5 ? 3 : 4];
  const frame = randomU8(next, fw * fh * ch);
  const [w, h] = [int(next, 20, fw), int(next, 20, fh)];
  const [x0, y0] = [int(next, 0, fw - w), int(next, 0, fh - h)];
  const rgb = new Float32Array(w * h * 3), mask = new Float32Array(w * h), covered = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = y * w + x, o = ((y0 + y) * fw + x0 + x) * ch;
    for (let c = 0; c < 3; c++) rgb[3 * i + c] = Math.min(255, frame[o + c] * gain + next() * noise);
    const r = Math.hypot((x + 0.5) / w - 0.5, (y + 0.5) / h - 0.5) * 2; // 0 at the centre, 1 at the edges' middles
    mask[i] = Math.max(0, Math.min(1, (1 - r) * 3));
    covered[i] = next() < 0.95 ? 1 : 0;
  }
  return { frame, fw, fh, ch, x0, y0, w, h, rgb, mask, covered };
}

const transfer = (k: Kernels, c: Case) => k.transferColour(c.frame, c.fw, c.fh, c.ch, c.x0, c.y0, c.w, c.h, c.rgb, c.mask, c.covered);
const blend = (k: Kernels, c: Case) => k.blendPatch(c.frame, c.fw, c.fh, c.ch, c.x0, c.y0, c.w, c.h, c.rgb, c.mask, c.covered);

/** Mean Rec. 709 luma of `rgb` over the pixels where `use(i)`. */
function meanLuma(rgb: ArrayLike<number>, n: number, at: (i: number) => number, use: (i: number) => boolean): number {
  let s = 0, k = 0;
  for (let i = 0; i < n; i++) {
    if (!use(i)) continue;
    const o = at(i);
    s += 0.2126 * rgb[o] + 0.7152 * rgb[o + 1] + 0.0722 * rgb[o + 2];
    k++;
  }
  return s / k;
}

describe.each(backends.map((k) => [k.backend, k] as const))('transferColour (%s)', (_name, k) => {
  it('onto the frame\'s own pixels changes nothing (to the gamma table\'s resolution)', () => {
    const next = rng(SEED);
    const c = makeCase(next, 1, 0);
    const before = c.rgb.slice();
    transfer(k, c);
    let worst = 0;
    for (let i = 0; i < before.length; i++) worst = Math.max(worst, Math.abs(c.rgb[i] - before[i]));
    expect(worst).toBeLessThan(0.2);
  });

  it('a patch darkened to half takes the frame\'s brightness back; pixels outside the mask or the warp keep theirs', () => {
    const next = rng(SEED + 1);
    const c = makeCase(next, 0.5);
    const before = c.rgb.slice();
    transfer(k, c);
    const n = c.w * c.h;
    const inside = (i: number) => c.mask[i] >= 0.5 && c.covered[i] === 1;
    const frameAt = (i: number) => (((c.y0 + Math.floor(i / c.w)) * c.fw) + c.x0 + (i % c.w)) * c.ch;
    const target = meanLuma(c.frame, n, frameAt, inside);
    expect(meanLuma(before, n, (i) => 3 * i, inside)).toBeLessThan(target * 0.6);
    expect(Math.abs(meanLuma(c.rgb, n, (i) => 3 * i, inside) - target)).toBeLessThan(0.05 * target);
    for (let i = 0; i < n; i++) {
      if (c.mask[i] > 0 && c.covered[i] === 1) continue;
      for (let ch = 0; ch < 3; ch++) expect(c.rgb[3 * i + ch]).toBe(before[3 * i + ch]);
    }
  });

  it('fewer than 16 qualifying pixels: no change', () => {
    const next = rng(SEED + 2);
    const c = makeCase(next, 0.5);
    c.covered.fill(0);
    for (let i = 0; i < 15; i++) c.covered[Math.floor(c.w * c.h / 2) + i] = 1;
    const before = c.rgb.slice();
    transfer(k, c);
    expect(c.rgb).toEqual(before);
  });
});

describe.each(backends.map((k) => [k.backend, k] as const))('blendPatch (%s)', (_name, k) => {
  it('writes mask·rgb + (1 − mask)·frame rounded half up where mask > 0 and covered; alpha and everything else kept', () => {
    const next = rng(SEED + 3);
    const c = makeCase(next, 0.7);
    c.mask[0] = 0.5; c.covered[0] = 1; c.rgb[0] = 11; // a tie: (11 + frame) / 2 with an odd sum rounds up
    const before = c.frame.slice();
    blend(k, c);
    const visited = new Uint8Array(c.fw * c.fh);
    for (let y = 0; y < c.h; y++) for (let x = 0; x < c.w; x++) {
      const i = y * c.w + x, p = (c.y0 + y) * c.fw + c.x0 + x, o = p * c.ch;
      visited[p] = 1;
      const a = c.mask[i];
      for (let ch = 0; ch < 3; ch++) {
        const want = a > 0 && c.covered[i] ? Math.min(255, Math.max(0, Math.floor(a * c.rgb[3 * i + ch] + (1 - a) * before[o + ch] + 0.5))) : before[o + ch];
        expect(c.frame[o + ch], `${x},${y}`).toBe(want);
      }
      if (c.ch === 4) expect(c.frame[o + 3]).toBe(before[o + 3]);
    }
    for (let p = 0; p < c.fw * c.fh; p++) {
      if (visited[p]) continue;
      for (let ch = 0; ch < c.ch; ch++) expect(c.frame[p * c.ch + ch]).toBe(before[p * c.ch + ch]);
    }
  });
});

describe.runIf(native)('transferColour and blendPatch: native = fallback', () => {
  it('on random frames, patches and masks (the blend the same bytes, the transfer the same floats to 1e-3)', () => {
    const next = rng(SEED + 4);
    for (let round = 0; round < 12; round++) {
      const c = makeCase(next, 0.3 + next() * 1.2);
      const a = { ...c, rgb: c.rgb.slice(), frame: c.frame.slice() }, b = { ...c, rgb: c.rgb.slice(), frame: c.frame.slice() };
      transfer(native as Kernels, a);
      transfer(fallback, b);
      let worst = 0;
      for (let i = 0; i < a.rgb.length; i++) worst = Math.max(worst, Math.abs(a.rgb[i] - b.rgb[i]));
      expect(worst).toBeLessThan(1e-3);
      blend(native as Kernels, a);
      blend(fallback, { ...a, frame: b.frame });
      expect(a.frame).toEqual(b.frame);
    }
  });

  it('refuses misuse: a patch past the frame, arrays of the wrong length, an output sharing an input\'s memory', () => {
    for (const k of [native as Kernels, fallback]) {
      const frame = new Uint8Array(10 * 10 * 3), rgb = new Float32Array(4 * 4 * 3), m = new Float32Array(16), cov = new Uint8Array(16);
      expect(() => k.transferColour(frame, 10, 10, 3, 7, 0, 4, 4, rgb, m, cov)).toThrow(TypeError);
      expect(() => k.blendPatch(frame, 10, 10, 3, 0, 7, 4, 4, rgb, m, cov)).toThrow(TypeError);
      expect(() => k.blendPatch(frame, 10, 10, 3, 0, 0, 4, 4, rgb, new Float32Array(15), cov)).toThrow(TypeError);
      expect(() => k.transferColour(frame, 10, 10, 3, 0, 0, 4, 4, new Float32Array(47), m, cov)).toThrow(TypeError);
      const shared = new ArrayBuffer(300 + 16 * 12);
      const f2 = new Uint8Array(shared, 0, 300), r2 = new Float32Array(shared, 0, 48);
      expect(() => k.blendPatch(f2, 10, 10, 3, 0, 0, 4, 4, r2, m, cov)).toThrow(TypeError);
      expect(() => k.transferColour(f2, 10, 10, 3, 0, 0, 4, 4, r2, m, cov)).toThrow(TypeError);
    }
  });
});
