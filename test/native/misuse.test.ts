import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ADDON_PATH } from '../../src/native/addon.js';
import { NORM_0_1, type Affine, type Kernels } from '../../src/native/types.js';
import { backends, native } from './support.js';

/** Misuse on purpose: the public API is typed, these calls bypass the types. */
type Loose = Record<string, (...args: unknown[]) => unknown>;

const id: Affine = [1, 0, 0, 0, 1, 0];
const u8 = (n: number): Uint8Array => new Uint8Array(n);
const f32 = (n: number): Float32Array => new Float32Array(n);

/** [kernel, arguments] pairs that must each throw a TypeError. */
const BAD_CALLS: [string, unknown[]][] = [
  // wrong lengths
  ['hwcToNchw', [u8(11), 2, 2, 3, NORM_0_1]],
  ['hwcToNchw', [u8(12), 2, 2, 3, NORM_0_1, f32(11)]],
  ['nchwToHwc', [f32(13), 2, 2, 3, 255, 0]],
  ['nchwToHwc', [f32(12), 2, 2, 4, 255, 0, false, u8(12)]],
  ['f32ToF16', [f32(4), new Uint16Array(3)]],
  ['f16ToF32', [new Uint16Array(4), f32(5)]],
  ['warpAffineToNchw', [u8(12), 2, 2, 3, id, 3, 3, NORM_0_1, f32(26)]],
  ['pasteBack', [u8(12), 2, 2, 3, u8(11), 2, 2, f32(4), id]],
  ['pasteBack', [u8(12), 2, 2, 3, u8(12), 2, 2, f32(3), id]],
  ['placeTile', [f32(12), 2, 2, 0, 0, 2, 2, u8(11), 2, 2, 3, 0, 0]],
  ['gaussianBlur', [f32(5), 2, 2, 1]],
  ['erode', [f32(4), 2, 2, 1, f32(5)]],
  // negative, fractional, NaN and non-number sizes
  ['hwcToNchw', [u8(12), -2, -2, 3, NORM_0_1]],
  ['hwcToNchw', [u8(12), 2.5, 2, 3, NORM_0_1]],
  ['nchwToHwc', [f32(12), NaN, 2, 3, 255, 0]],
  ['nchwToHwc', [f32(12), '2', 2, 3, 255, 0]],
  ['warpAffineToNchw', [u8(12), 2, 2, 3, id, -1, 3, NORM_0_1]],
  ['placeTile', [f32(12), 2, 2, -1, 0, 2, 2, u8(12), 2, 2, 3, 0, 0]],
  ['erode', [f32(4), 2, 2, 1.5]],
  ['erode', [f32(4), 2, 2, -1]],
  ['gaussianBlur', [f32(4), 2, 2, -1]],
  ['gaussianBlur', [f32(4), 2, 2, NaN]],
  ['gaussianBlur', [f32(4), 2, 2, 1e9]],
  // wrong array types and objects
  ['hwcToNchw', [f32(12), 2, 2, 3, NORM_0_1]],
  ['hwcToNchw', [new Uint8ClampedArray(12), 2, 2, 3, NORM_0_1]],
  ['hwcToNchw', [Array.from(u8(12)), 2, 2, 3, NORM_0_1]],
  ['hwcToNchw', [u8(12), 2, 2, 3, NORM_0_1, new Float64Array(12)]],
  ['nchwToHwc', [new Float64Array(12), 2, 2, 3, 255, 0]],
  ['f32ToF16', [new Uint32Array(4)]],
  ['f16ToF32', [new Int16Array(4)]],
  ['f16ToF32', [null]],
  ['gaussianBlur', [new Float64Array(4), 2, 2, 1]],
  ['pasteBack', [u8(12), 2, 2, 3, u8(12), 2, 2, new Float64Array(4), id]],
  // bad parameters
  ['hwcToNchw', [u8(8), 2, 2, 2, NORM_0_1]],
  ['hwcToNchw', [u8(12), 2, 2, 3, { mean: [0, 0], std: [1, 1, 1] }]],
  ['hwcToNchw', [u8(12), 2, 2, 3, { mean: [0, 0, 0], std: [1, 0, 1] }]],
  ['hwcToNchw', [u8(12), 2, 2, 3, { mean: [0, 0, 0], std: [1, 1, 1], bgr: 'yes' }]],
  ['hwcToNchw', [u8(12), 2, 2, 3, undefined]],
  ['nchwToHwc', [f32(12), 2, 2, 3, NaN, 0]],
  ['nchwToHwc', [f32(12), 2, 2, 3, 255, Infinity]],
  ['warpAffineToNchw', [u8(12), 2, 2, 3, [1, 0, 0, 0, 1], 2, 2, NORM_0_1]],
  ['warpAffineToNchw', [u8(12), 2, 2, 3, [1, 0, NaN, 0, 1, 0], 2, 2, NORM_0_1]],
  ['placeTile', [f32(12), 2, 2, 1, 0, 2, 2, u8(12), 2, 2, 3, 0, 0]],
  ['placeTile', [f32(12), 2, 2, 0, 0, 2, 2, u8(12), 2, 2, 3, 1, 0]],
  ['placeTile', [f32(12), 2, 2, 0, 0, 2, 2, u8(8), 2, 2, 2, 0, 0]],
];

/** Output arrays that share memory with an input. */
function overlapping(): [string, unknown[]][] {
  const buf = new ArrayBuffer(64);
  const frame = new Uint8Array(buf, 0, 12);
  return [
    ['hwcToNchw', [new Uint8Array(buf, 0, 12), 2, 2, 3, NORM_0_1, new Float32Array(buf, 0, 12)]],
    ['nchwToHwc', [new Float32Array(buf, 0, 12), 2, 2, 3, 255, 0, false, new Uint8Array(buf, 40, 12)]],
    ['f32ToF16', [new Float32Array(buf, 0, 4), new Uint16Array(buf, 8, 4)]],
    ['pasteBack', [frame, 2, 2, 3, new Uint8Array(buf, 4, 12), 2, 2, f32(4), id]],
    ['placeTile', [new Float32Array(buf, 0, 12), 2, 2, 0, 0, 2, 2, new Uint8Array(buf, 16, 12), 2, 2, 3, 0, 0]],
  ];
}

describe('misuse throws TypeError and never crashes', () => {
  for (const k of backends) {
    it(`${k.backend}: ${BAD_CALLS.length} malformed calls`, () => {
      const loose = k as unknown as Loose;
      for (const [name, args] of [...BAD_CALLS, ...overlapping()]) {
        expect(() => loose[name](...args), `${name}(${args.map(String).join(', ')})`).toThrow(TypeError);
      }
    });

    it(`${k.backend}: the same kernels accept well-formed calls`, () => {
      const good = (kk: Kernels): unknown[] => [
        kk.hwcToNchw(u8(12), 2, 2, 3, NORM_0_1),
        kk.nchwToHwc(f32(12), 2, 2, 4, 255, 0),
        kk.warpAffineToNchw(u8(0), 0, 0, 3, id, 2, 2, NORM_0_1),
        kk.gaussianBlur(f32(0), 0, 5, 1),
        kk.erode(f32(0), 5, 0, 1),
      ];
      const [a, b, c, d, e] = good(k);
      expect((a as Float32Array).length).toBe(12);
      expect(Array.from(b as Uint8Array)).toEqual([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
      expect(Array.from(c as Float32Array)).toEqual(new Array(12).fill(0));
      expect((d as Float32Array).length + (e as Float32Array).length).toBe(0);
    });
  }

  it.skipIf(!native)('the raw addon checks types, lengths and overlap itself (called directly)', () => {
    const raw = createRequire(import.meta.url)(ADDON_PATH) as Loose;
    const shared = f32(4);
    const calls: [string, unknown[]][] = [
      ['hwcToNchw', []],
      ['hwcToNchw', [f32(12), 2, 2, 3, 0, 0, 0, 1, 1, 1, false, f32(12)]],
      ['hwcToNchw', [u8(12), 2, 2, 3, 0, 0, 0, 1, 1, 1, false, f32(11)]],
      ['hwcToNchw', [u8(12), 2 ** 40, 2, 3, 0, 0, 0, 1, 1, 1, false, f32(12)]],
      ['nchwToHwc', [f32(12), 2, 2, 3, 255, 0, 'no', u8(12)]],
      ['f32ToF16', [f32(4), new Uint16Array(5)]],
      ['placeTile', [f32(12), 2, 2, 1, 1, 2, 2, u8(12), 2, 2, 3, 0, 0]],
      ['pasteBack', [u8(12), 2, 2, 3, u8(12), 2, 2, f32(4), 1, 0, 0, 0, 1, 0, -1, 0, 2, 2]],
      ['gaussianBlur', [f32(4), 2, 2, new Float64Array(0), f32(4)]],
      ['erode', [shared, 2, 2, 1, new Float32Array(shared.buffer)]],
    ];
    for (const [name, args] of calls) expect(() => raw[name](...args), name).toThrow(TypeError);
    // An oversized bbox is clipped, not trusted: this must not write out of bounds.
    const frame = u8(12);
    raw.pasteBack(frame, 2, 2, 3, u8(12).fill(200), 2, 2, f32(4).fill(1), 1, 0, 0, 0, 1, 0, 0, 0, 1e6, 1e6);
    expect(Array.from(frame)).toEqual(new Array(12).fill(200));
  });
});
