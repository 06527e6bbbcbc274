import { describe, expect, it } from 'vitest';
import { NORM_0_1, NORM_INSIGHTFACE, type Affine, type Normalization } from '../../src/native/types.js';
import {
  SEED, backends, fallback, firstDiff, int, maxRelDiff, native, pick, randomF32, randomSize, randomU8, rng,
  type Rand,
} from './support.js';

const ROUNDS = 20;

/** Pixel (x, y) channel c, or 0 outside the image. */
function px(img: ArrayLike<number>, w: number, h: number, stride: number, x: number, y: number, c: number): number {
  return x >= 0 && y >= 0 && x < w && y < h ? img[(y * w + x) * stride + c] : 0;
}

/** Textbook bilinear interpolation with explicit corner weights. */
function bilinear(img: ArrayLike<number>, w: number, h: number, stride: number, sx: number, sy: number, c: number): number {
  const x0 = Math.floor(sx);
  const y0 = Math.floor(sy);
  const fx = sx - x0;
  const fy = sy - y0;
  return px(img, w, h, stride, x0, y0, c) * (1 - fx) * (1 - fy)
    + px(img, w, h, stride, x0 + 1, y0, c) * fx * (1 - fy)
    + px(img, w, h, stride, x0, y0 + 1, c) * (1 - fx) * fy
    + px(img, w, h, stride, x0 + 1, y0 + 1, c) * fx * fy;
}

function refWarp(src: Uint8Array, w: number, h: number, ch: number, m: Affine, ow: number, oh: number,
  norm: Normalization): Float32Array {
  const out = new Float32Array(3 * ow * oh);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const sx = m[0] * x + m[1] * y + m[2];
      const sy = m[3] * x + m[4] * y + m[5];
      for (let c = 0; c < 3; c++) {
        const plane = norm.bgr ? 2 - c : c;
        out[plane * ow * oh + y * ow + x] = (bilinear(src, w, h, ch, sx, sy, c) - norm.mean[c]) / norm.std[c];
      }
    }
  }
  return out;
}

/** A similarity transform (rotation, scale, shift) mapping roughly into a w×h image. */
function randomAffine(r: Rand, w: number, h: number): Affine {
  const angle = (r() - 0.5) * 2 * Math.PI;
  const s = 0.2 + r() * 2;
  return [
    s * Math.cos(angle), -s * Math.sin(angle), (r() - 0.25) * w,
    s * Math.sin(angle), s * Math.cos(angle), (r() - 0.25) * h,
  ];
}

describe(`warpAffineToNchw (seed ${SEED})`, () => {
  it('matches a textbook bilinear reference within 1e-5, native and fallback within 1e-5 of each other', () => {
    const r = rng(SEED + 10);
    for (let round = 0; round < ROUNDS; round++) {
      const [w, h] = randomSize(r, round);
      const [ow, oh] = round % 4 === 3 ? [int(r, 150, 260), int(r, 130, 200)] : [int(r, 1, 41), int(r, 1, 37)];
      const ch = pick(r, [3, 4]);
      const norm = pick(r, [NORM_0_1, NORM_INSIGHTFACE, { ...NORM_INSIGHTFACE, bgr: true }]);
      const m = randomAffine(r, w, h);
      const src = randomU8(r, w * h * ch);
      const want = refWarp(src, w, h, ch, m, ow, oh, norm);
      const outs = backends.map((k) => k.warpAffineToNchw(src, w, h, ch, m, ow, oh, norm));
      for (const [i, got] of outs.entries()) {
        expect(maxRelDiff(got, want), `${backends[i].backend} ${w}x${h}→${ow}x${oh} seed ${SEED}`).toBeLessThan(1e-5);
      }
      if (outs.length === 2) expect(maxRelDiff(outs[1], outs[0])).toBeLessThan(1e-5);
    }
  });

  it('identity gives hwcToNchw; a half-pixel shift averages neighbours; outside reads 0', () => {
    const r = rng(SEED + 11);
    const [w, h] = [13, 7];
    const src = randomU8(r, w * h * 3);
    for (const k of backends) {
      const id = k.warpAffineToNchw(src, w, h, 3, [1, 0, 0, 0, 1, 0], w, h, NORM_INSIGHTFACE);
      expect(firstDiff(id, k.hwcToNchw(src, w, h, 3, NORM_INSIGHTFACE)), k.backend).toBe(-1);
      const half = k.warpAffineToNchw(src, w, h, 3, [1, 0, 0.5, 0, 1, 0], 1, 1, { mean: [0, 0, 0], std: [1, 1, 1] });
      expect(half[0], k.backend).toBeCloseTo((src[0] + src[3]) / 2, 5);
      const away = k.warpAffineToNchw(src, w, h, 3, [1, 0, 100, 0, 1, 0], 2, 2, NORM_INSIGHTFACE);
      expect(Array.from(away), k.backend).toEqual(new Array(12).fill(Math.fround(-127.5 / 128)));
    }
  });
});

function refPaste(frame: Uint8Array, w: number, h: number, ch: number, crop: Uint8Array, cw: number, chh: number,
  mask: Float32Array, m: Affine): Uint8Array {
  const out = frame.slice();
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sx = m[0] * x + m[1] * y + m[2];
      const sy = m[3] * x + m[4] * y + m[5];
      const k = Math.min(1, bilinear(mask, cw, chh, 1, sx, sy, 0));
      if (!(k > 0)) continue;
      for (let c = 0; c < 3; c++) {
        const i = (y * w + x) * ch + c;
        out[i] = Math.min(255, Math.trunc(k * bilinear(crop, cw, chh, 3, sx, sy, c) + (1 - k) * frame[i]));
      }
    }
  }
  return out;
}

/** A feathered mask: 1 in the middle, falling to 0 towards the edges. */
function featherMask(r: Rand, cw: number, chh: number): Float32Array {
  const mask = new Float32Array(cw * chh);
  for (let y = 0; y < chh; y++) {
    for (let x = 0; x < cw; x++) {
      const d = Math.min(x, y, cw - 1 - x, chh - 1 - y) / Math.max(1, Math.min(cw, chh) / 4);
      mask[y * cw + x] = r() < 0.1 ? 0 : Math.min(1, d);
    }
  }
  return mask;
}

describe(`pasteBack (seed ${SEED})`, () => {
  it('blends only where the mask is > 0, matches the reference (±1 from truncation), alpha untouched', () => {
    const r = rng(SEED + 12);
    let changed = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const [w, h] = randomSize(r, round);
      const [cw, chh] = [int(r, 1, 40), int(r, 1, 40)];
      const ch = pick(r, [3, 4]);
      // M maps frame → crop: the inverse of a random crop → frame placement.
      const s = 0.3 + r() * 3;
      const t = (r() - 0.5) * 2 * Math.PI;
      const [ca, sa] = [Math.cos(t) / s, Math.sin(t) / s];
      const [tx, ty] = [r() * w, r() * h];
      const m: Affine = [ca, sa, -(ca * tx + sa * ty), -sa, ca, -(-sa * tx + ca * ty)];
      const frame = randomU8(r, w * h * ch);
      const crop = randomU8(r, cw * chh * 3);
      const mask = r() < 0.8 ? featherMask(r, cw, chh) : randomF32(r, cw * chh, -0.5, 1.5);
      const want = refPaste(frame, w, h, ch, crop, cw, chh, mask, m);
      const outs = backends.map((k) => {
        const f = frame.slice();
        k.pasteBack(f, w, h, ch, crop, cw, chh, mask, m);
        return f;
      });
      for (const [bi, got] of outs.entries()) {
        let off = 0;
        let worst = 0;
        let alphaChanged = 0;
        for (let i = 0; i < got.length; i++) {
          const d = Math.abs(got[i] - want[i]);
          if (ch === 4 && i % 4 === 3 && got[i] !== frame[i]) alphaChanged++;
          worst = Math.max(worst, d);
          if (d) off++;
        }
        expect(alphaChanged, backends[bi].backend).toBe(0);
        expect(worst, `${backends[bi].backend}, seed ${SEED}`).toBeLessThanOrEqual(1);
        expect(off, backends[bi].backend).toBeLessThanOrEqual(Math.max(2, got.length / 1000));
      }
      if (outs.length === 2) expect(firstDiff(outs[1], outs[0]), `native vs fallback, seed ${SEED}`).toBe(-1);
      changed += outs[0].reduce((n, v, i) => n + (v !== frame[i] ? 1 : 0), 0);
    }
    // The random placements do land on the frames.
    expect(changed).toBeGreaterThan(100);
  });

  it('a full, opaque, unrotated crop replaces the frame exactly', () => {
    const r = rng(SEED + 13);
    const [w, h, cw, chh] = [9, 8, 4, 3];
    const crop = randomU8(r, cw * chh * 3);
    for (const k of backends) {
      const frame = randomU8(r, w * h * 3);
      const before = frame.slice();
      k.pasteBack(frame, w, h, 3, crop, cw, chh, new Float32Array(cw * chh).fill(1), [1, 0, -2, 0, 1, -5]);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const inside = x >= 2 && x < 2 + cw && y >= 5 && y < 5 + chh;
          for (let c = 0; c < 3; c++) {
            const want = inside ? crop[((y - 5) * cw + x - 2) * 3 + c] : before[(y * w + x) * 3 + c];
            expect(frame[(y * w + x) * 3 + c], `${k.backend} (${x},${y})`).toBe(want);
          }
        }
      }
    }
  });
});

describe.skipIf(!native)(`warps on a large frame (seed ${SEED})`, () => {
  it('native and fallback agree on a 1000×700 paste-back (threaded path)', () => {
    const r = rng(SEED + 14);
    const [w, h, cw, chh] = [1000, 700, 256, 256];
    const frame = randomU8(r, w * h * 3);
    const crop = randomU8(r, cw * chh * 3);
    const mask = featherMask(r, cw, chh);
    const m: Affine = [0.4, 0.1, -60, -0.1, 0.4, -20];
    const a = frame.slice();
    const b = frame.slice();
    fallback.pasteBack(a, w, h, 3, crop, cw, chh, mask, m);
    native!.pasteBack(b, w, h, 3, crop, cw, chh, mask, m);
    expect(firstDiff(a, b)).toBe(-1);
    expect(firstDiff(a, frame)).not.toBe(-1);
  });
});
