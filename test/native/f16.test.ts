import { describe, expect, it } from 'vitest';
import { SEED, backends, fallback, firstDiff, native, rng } from './support.js';

/** Round half to even of a non-negative number, the obvious way. */
function rne(q: number): number {
  const fl = Math.floor(q);
  const d = q - fl;
  if (d > 0.5) return fl + 1;
  if (d < 0.5) return fl;
  return fl % 2 === 0 ? fl : fl + 1;
}

/** f32 → f16 bits by arithmetic on the value (not on bits): the independent reference. */
function refF32ToF16(bits: number): number {
  const v = new Float32Array(new Uint32Array([bits]).buffer)[0];
  const sign = bits >>> 31 ? 0x8000 : 0;
  if (Number.isNaN(v)) return sign | 0x7e00 | ((bits & 0x7fffff) >>> 13);
  const a = Math.abs(v);
  if (a >= 65520) return sign | 0x7c00; // halfway between 65504 and 2^16 and above: inf
  if (a < 2 ** -14) return sign | rne(a / 2 ** -24); // subnormal (1024 = the smallest normal)
  let e = -14;
  while (2 ** (e + 1) <= a) e++;
  const n = rne(a / 2 ** (e - 10)); // 1024..2048; 2048 carries into the exponent below
  return sign | (((e + 15) << 10) + (n - 1024));
}

/** f16 bits → f32 bits by arithmetic on the value. */
function refF16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 31 && mant !== 0) return ((h & 0x8000) << 16 | 0x7fc00000 | (mant << 13)) >>> 0;
  const v = exp === 31 ? sign * Infinity : exp === 0 ? sign * mant * 2 ** -24 : sign * (1 + mant / 1024) * 2 ** (exp - 15);
  return new Uint32Array(Float32Array.of(v).buffer)[0];
}

function f32FromBits(bits: Uint32Array): Float32Array {
  return new Float32Array(bits.buffer, bits.byteOffset, bits.length);
}

/** Random bit patterns (every class: NaN, inf, subnormals) plus exact f16 ties and near-ties. */
function trickyF32Bits(seed: number, n: number): Uint32Array {
  const r = rng(seed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const k = r();
    if (k < 0.3) {
      out[i] = Math.floor(r() * 2 ** 32);
    } else {
      // An f16 value's f32 bits with random low bits: 0x1000 is an exact tie.
      const h = Math.floor(r() * 0x7c00) | (r() < 0.5 ? 0x8000 : 0);
      const low = pick3(r, [0x1000, 0x0fff, 0x1001, Math.floor(r() * 0x2000)]);
      out[i] = (refF16ToF32(h) + low) >>> 0;
      if (k < 0.5) {
        // Values around and inside the f16 subnormal range, where the tie position moves.
        const e = 102 + Math.floor(r() * 12);
        out[i] = ((r() < 0.5 ? 0x80000000 : 0) | (e << 23) | Math.floor(r() * 0x800000)) >>> 0;
      }
    }
  }
  return out;
}

function pick3(r: () => number, xs: number[]): number {
  return xs[Math.floor(r() * xs.length)];
}

describe(`f16 conversions (seed ${SEED})`, () => {
  it('f32ToF16 matches the arithmetic reference bit for bit on tricky inputs', () => {
    const bits = trickyF32Bits(SEED, 200_003);
    const src = f32FromBits(bits);
    const want = Uint16Array.from(bits, refF32ToF16);
    for (const k of backends) {
      const got = k.f32ToF16(src);
      const i = firstDiff(got, want);
      expect(i, `${k.backend}: input 0x${bits[i]?.toString(16)} → 0x${got[i]?.toString(16)}, want 0x${want[i]?.toString(16)}`)
        .toBe(-1);
    }
  });

  it('f16ToF32 is exact for all 65,536 patterns; NaNs become quiet with the payload kept', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const want = Uint32Array.from(all, refF16ToF32);
    for (const k of backends) {
      const got = new Uint32Array(k.f16ToF32(all).buffer);
      expect(firstDiff(got, want), k.backend).toBe(-1);
    }
  });

  it('f16 → f32 → f16 is the identity except that signalling NaNs turn quiet', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const want = all.map((h) => ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0 ? h | 0x200 : h));
    for (const k of backends) expect(firstDiff(k.f32ToF16(k.f16ToF32(all)), want), k.backend).toBe(-1);
  });

  it('known values: overflow, ties, subnormals', () => {
    const src = Float32Array.of(65504, 65519.99, 65520, 1e10, -Infinity, 2 ** -24, 2 ** -25, 3 * 2 ** -26,
      1 + 2 ** -11, 1 + 3 * 2 ** -11, -0);
    const want = [0x7bff, 0x7bff, 0x7c00, 0x7c00, 0xfc00, 0x0001, 0x0000, 0x0001, 0x3c00, 0x3c02, 0x8000];
    for (const k of backends) expect(Array.from(k.f32ToF16(src)), k.backend).toEqual(want);
  });

  it.skipIf(!native)('native and fallback agree on every bit of a large random buffer (threaded path)', () => {
    const bits = trickyF32Bits(SEED + 1, 1_000_001);
    const src = f32FromBits(bits);
    const h = fallback.f32ToF16(src);
    expect(firstDiff(native!.f32ToF16(src), h)).toBe(-1);
    expect(firstDiff(native!.f16ToF32(h), fallback.f16ToF32(h))).toBe(-1);
  });
});
