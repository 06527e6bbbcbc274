/**
 * The addon compiles its hottest loops twice (baseline x86-64 and AVX2, chosen at run
 * time). The other tests exercise whichever this CPU picks; this one runs the addon in
 * a child process with BACKSERV_NATIVE_SIMD=0 and checks the baseline code gives the
 * very same bits as the fallback.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ADDON_PATH } from '../../src/native/addon.js';
import { gaussianBlur as fallbackRawBlur } from '../../src/native/fallback-mask.js';
import { SEED, fallback, firstDiff, native, rng } from './support.js';

/** Runs in the child (CommonJS): the raw addon on the inputs, outputs back as base64. */
const CHILD = `
const addon = require(process.env.ADDON);
const input = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const buf = (b64, T) => { const b = Buffer.from(b64, 'base64'); return new T(b.buffer, b.byteOffset, b.length / T.BYTES_PER_ELEMENT); };
const { w, h } = input;
const img = buf(input.img, Uint8Array);
const t = buf(input.tensor, Float32Array);
const out = {};
const hwc = new Float32Array(3 * w * h);
addon.hwcToNchw(img, w, h, 3, 127.5, 127.5, 127.5, 128, 128, 128, true, hwc); out.hwc = hwc;
const u8 = new Uint8Array(4 * w * h);
addon.nchwToHwc(t, w, h, 4, 255, 0, false, u8); out.nchw = u8;
const f16 = new Uint16Array(t.length); addon.f32ToF16(t, f16); out.f16 = f16;
const f32 = new Float32Array(t.length); addon.f16ToF32(f16, f32); out.f32 = f32;
const warp = new Float32Array(3 * w * h);
addon.warpAffineToNchw(img, w, h, 3, 0.9, -0.3, 20, 0.3, 0.9, -15, w, h, 0, 0, 0, 255, 255, 255, false, warp); out.warp = warp;
const tile = new Uint8Array(4 * w * h);
addon.placeTile(t, w, h, 3, 2, w - 5, h - 4, tile, w, h, 4, 1, 1); out.tile = tile;
const mask = t.subarray(0, w * h);
const er = new Float32Array(w * h); addon.erode(mask, w, h, 4, er); out.erode = er;
const bl = new Float32Array(w * h); addon.gaussianBlur(mask, w, h, Float64Array.from(input.weights), bl); out.blur = bl;
const frame = img.slice(); const cw = w >> 1, chh = h >> 1;
addon.pasteBack(frame, w, h, 3, img.subarray(0, cw * chh * 3), cw, chh, t.subarray(0, cw * chh), 0.6, -0.2, 30, 0.2, 0.6, -40, 0, 0, w, h);
out.paste = frame;
const enc = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, enc(v)]))));
`;

describe.skipIf(!native)(`baseline (non-AVX2) native code (seed ${SEED})`, () => {
  it('gives the same bits as the fallback', () => {
    const r = rng(SEED + 30);
    const [w, h] = [523, 389];
    const img = Uint8Array.from({ length: w * h * 3 }, () => Math.floor(r() * 256));
    const tensor = Float32Array.from({ length: 3 * w * h }, () => r() * 1.4 - 0.2);
    const weights = [0.4, 0.2, 0.1, 0.05]; // any weights: both sides receive the same ones
    const b64 = (a: ArrayBufferView): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
    const stdout = execFileSync(process.execPath, ['-e', CHILD], {
      input: JSON.stringify({ w, h, img: b64(img), tensor: b64(tensor), weights }),
      env: { ...process.env, ADDON: ADDON_PATH, BACKSERV_NATIVE_SIMD: '0' },
      maxBuffer: 1 << 28,
    });
    const got = JSON.parse(stdout.toString()) as Record<string, string>;
    const bytes = (k: string): Uint8Array => new Uint8Array(Buffer.from(got[k], 'base64'));
    const same = (k: string, want: ArrayBufferView): void => {
      expect(firstDiff(bytes(k), new Uint8Array(want.buffer, want.byteOffset, want.byteLength)), k).toBe(-1);
    };
    same('hwc', fallback.hwcToNchw(img, w, h, 3, { mean: [127.5, 127.5, 127.5], std: [128, 128, 128], bgr: true }));
    same('nchw', fallback.nchwToHwc(tensor, w, h, 4, 255, 0));
    const f16 = fallback.f32ToF16(tensor);
    same('f16', f16);
    same('f32', fallback.f16ToF32(f16));
    same('warp', fallback.warpAffineToNchw(img, w, h, 3, [0.9, -0.3, 20, 0.3, 0.9, -15], w, h,
      { mean: [0, 0, 0], std: [255, 255, 255] }));
    const tile = new Uint8Array(4 * w * h);
    fallback.placeTile(tensor, w, h, 3, 2, w - 5, h - 4, tile, w, h, 4, 1, 1);
    same('tile', tile);
    const mask = tensor.subarray(0, w * h);
    same('erode', fallback.erode(mask, w, h, 4));
    // gaussianBlur derives its weights from sigma; compare the raw pass with the same weights.
    const blur = new Float32Array(w * h);
    fallbackRawBlur(mask, w, h, Float64Array.from(weights), blur);
    same('blur', blur);
    const frame = img.slice();
    const [cw, chh] = [w >> 1, h >> 1];
    fallback.pasteBack(frame, w, h, 3, img.subarray(0, cw * chh * 3), cw, chh, tensor.subarray(0, cw * chh),
      [0.6, -0.2, 30, 0.2, 0.6, -40]);
    expect(firstDiff(frame, img)).not.toBe(-1);
    same('paste', frame);
  });
});
