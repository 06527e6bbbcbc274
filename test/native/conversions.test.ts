import { describe, expect, it } from 'vitest';
import { NORM_0_1, NORM_INSIGHTFACE, NORM_NEG1_1, type Normalization } from '../../src/native/types.js';
import {
  SEED, backends, fallback, firstDiff, int, native, pick, randomF32, randomSize, randomU8, refRoundU8, rng,
} from './support.js';

const ROUNDS = 25;

function refHwcToNchw(src: Uint8Array, w: number, h: number, ch: number, norm: Normalization): Float32Array {
  const out = new Float32Array(3 * w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        const plane = norm.bgr ? 2 - c : c;
        out[plane * w * h + y * w + x] = (src[(y * w + x) * ch + c] - norm.mean[c]) / norm.std[c];
      }
    }
  }
  return out;
}

function refNchwToHwc(src: Float32Array, w: number, h: number, ch: number, scale: number, offset: number,
  bgr: boolean): Uint8Array {
  const out = new Uint8Array(w * h * ch);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        const plane = bgr ? 2 - c : c;
        out[(y * w + x) * ch + c] = refRoundU8(src[plane * w * h + y * w + x] * scale + offset);
      }
      if (ch === 4) out[(y * w + x) * ch + 3] = 255;
    }
  }
  return out;
}

/** Tensor values that hit exact .5 ties, out-of-range values, NaN and infinities. */
function nastyTensor(r: () => number, n: number, scale: number): Float32Array {
  const a = randomF32(r, n, -0.3, 1.3);
  for (let i = 0; i < n; i++) {
    const k = r();
    if (k < 0.25) a[i] = (Math.floor(r() * 256) + 0.5) / scale; // a tie once scaled (when exact)
    else if (k < 0.27) a[i] = NaN;
    else if (k < 0.28) a[i] = r() < 0.5 ? Infinity : -Infinity;
    else if (k < 0.3) a[i] = Math.floor(r() * 256) / scale;
  }
  return a;
}

const NORMS: Normalization[] = [
  NORM_0_1, NORM_NEG1_1, NORM_INSIGHTFACE, { ...NORM_INSIGHTFACE, bgr: true },
  { mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] },
  { mean: [0.5, 200, -3], std: [-1.5, 0.25, 1000], bgr: true },
];

describe(`hwcToNchw (seed ${SEED})`, () => {
  it('matches the reference exactly for random images, norms, 3 and 4 channels', () => {
    const r = rng(SEED);
    for (let round = 0; round < ROUNDS; round++) {
      const [w, h] = randomSize(r, round);
      const ch = pick(r, [3, 4]);
      const norm = pick(r, NORMS);
      const src = randomU8(r, w * h * ch);
      const want = refHwcToNchw(src, w, h, ch, norm);
      const outs = backends.map((k) => k.hwcToNchw(src, w, h, ch, norm));
      for (const got of outs) expect(firstDiff(got, want), `${w}x${h}x${ch} seed ${SEED}`).toBe(-1);
    }
  });

  it('writes into `out` and returns it', () => {
    for (const k of backends) {
      const out = new Float32Array(3 * 2 * 1).fill(9);
      const res = k.hwcToNchw(Uint8Array.of(0, 255, 51, 153, 102, 0), 2, 1, 3, NORM_0_1, out);
      expect(res).toBe(out);
      expect(Array.from(out)).toEqual([0, 153 / 255, 1, 102 / 255, 51 / 255, 0].map(Math.fround));
    }
  });
});

describe(`nchwToHwc (seed ${SEED})`, () => {
  it('rounds half to even, clamps, maps NaN to 0, exactly like the reference', () => {
    const r = rng(SEED + 1);
    for (let round = 0; round < ROUNDS; round++) {
      const [w, h] = randomSize(r, round);
      const ch = pick(r, [3, 4]);
      const bgr = r() < 0.5;
      const [scale, offset] = pick(r, [[255, 0], [1, 0], [127.5, 127.5], [100.25, -3.5]] as const);
      const src = nastyTensor(r, 3 * w * h, scale);
      const want = refNchwToHwc(src, w, h, ch, scale, offset, bgr);
      for (const k of backends) {
        const got = k.nchwToHwc(src, w, h, ch, scale, offset, bgr);
        expect(firstDiff(got, want), `${k.backend} ${w}x${h}x${ch} seed ${SEED}`).toBe(-1);
      }
    }
  });

  it('rounds exact halves to the even neighbour', () => {
    const src = Float32Array.of(0.5, 1.5, 2.5, 253.5, 254.5, 255.5, -0.5, 1e9, NaN);
    for (const k of backends) {
      const got = k.nchwToHwc(src, 3, 1, 3, 1, 0);
      // Pixels (R,G,B) = (0.5, 253.5, -0.5), (1.5, 254.5, 1e9), (2.5, 255.5, NaN).
      expect(Array.from(got)).toEqual([0, 254, 0, 2, 254, 255, 2, 255, 0]);
    }
  });
});

describe(`placeTile (seed ${SEED})`, () => {
  it('writes the region as rounded u8, leaves everything else (and alpha) untouched', () => {
    const r = rng(SEED + 2);
    for (let round = 0; round < ROUNDS; round++) {
      const [tw, th] = randomSize(r, round);
      const ch = pick(r, [3, 4]);
      const w = int(r, 0, tw);
      const h = int(r, 0, th);
      const sx = int(r, 0, tw - w);
      const sy = int(r, 0, th - h);
      const ow = w + int(r, 0, 17);
      const oh = h + int(r, 0, 13);
      const dx = int(r, 0, ow - w);
      const dy = int(r, 0, oh - h);
      const tile = nastyTensor(r, 3 * tw * th, 255);
      const base = randomU8(r, ow * oh * ch);
      const want = base.slice();
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          for (let c = 0; c < 3; c++) {
            want[((dy + y) * ow + dx + x) * ch + c] = refRoundU8(tile[c * tw * th + (sy + y) * tw + sx + x] * 255);
          }
        }
      }
      for (const k of backends) {
        const out = base.slice();
        k.placeTile(tile, tw, th, sx, sy, w, h, out, ow, oh, ch, dx, dy);
        expect(firstDiff(out, want), `${k.backend} tile ${tw}x${th} region ${w}x${h} seed ${SEED}`).toBe(-1);
      }
    }
  });
});

describe.skipIf(!native)(`native vs fallback on large layouts (seed ${SEED})`, () => {
  it('agree bit for bit on a 4K-wide frame (threaded path)', () => {
    const r = rng(SEED + 3);
    const [w, h] = [int(r, 1900, 2100), int(r, 300, 400)];
    const src = randomU8(r, w * h * 4);
    const a = fallback.hwcToNchw(src, w, h, 4, NORM_NEG1_1);
    const b = native!.hwcToNchw(src, w, h, 4, NORM_NEG1_1);
    expect(firstDiff(a, b)).toBe(-1);
    const t = nastyTensor(r, 3 * w * h, 255);
    expect(firstDiff(fallback.nchwToHwc(t, w, h, 3, 255, 0, true), native!.nchwToHwc(t, w, h, 3, 255, 0, true)))
      .toBe(-1);
  });
});
