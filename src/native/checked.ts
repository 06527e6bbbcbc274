/**
 * Turns a `RawKernels` (either backend) into the public `Kernels` API: checks every
 * argument (TypeError on misuse), allocates outputs, derives shared parameters, and
 * calls the raw function. Both backends go through this one wrapper.
 */
import { gaussianWeights, MAX_SIGMA, pasteRegion } from './kernel-params.js';
import type { RawKernels } from './raw.js';
import type { Affine, Kernels, Normalization } from './types.js';
import {
  checkAffine, checkBool, checkChannels, checkDisjoint, checkF32, checkFinite, checkLength,
  checkNorm, checkSize, checkU16, checkU8, overlaps,
} from './validate.js';

const RGB_OR_RGBA = [3, 4] as const;

/** A caller's `out` checked (type, exact length, not overlapping an input), or a new buffer. */
function outBuffer<T extends ArrayBufferView & { length: number }>(
  out: unknown, length: number, inputs: readonly ArrayBufferView[],
  check: (v: unknown, name: string) => T, make: (length: number) => T,
): T {
  if (out === undefined) return make(length);
  const o = check(out, 'out');
  checkLength(o, length, 'out');
  checkDisjoint(o, inputs, 'out');
  return o;
}

const outF32 = (out: unknown, length: number, inputs: readonly ArrayBufferView[]) =>
  outBuffer(out, length, inputs, checkF32, (n) => new Float32Array(n));
const outU8 = (out: unknown, length: number, inputs: readonly ArrayBufferView[]) =>
  outBuffer(out, length, inputs, checkU8, (n) => new Uint8Array(n));

/** For the mask filters, `out` may be `mask` itself: the source is then copied first. */
function maskOut(mask: Float32Array, out: unknown, length: number): [Float32Array, Float32Array] {
  if (out === undefined) return [mask, new Float32Array(length)];
  const o = checkF32(out, 'out');
  checkLength(o, length, 'out');
  return [overlaps(o, mask) ? mask.slice() : mask, o];
}

/** The arguments the mesh engine's patch kernels share, checked: a frame and a patch inside it. */
function checkPatch(frame: unknown, width: unknown, height: unknown, channels: unknown, x0: unknown, y0: unknown,
  outW: unknown, outH: unknown, rgb: unknown, mask: unknown, covered: unknown) {
  const fr = checkU8(frame, 'frame');
  const w = checkSize(width, 'width');
  const h = checkSize(height, 'height');
  const ch = checkChannels(channels, 'channels', RGB_OR_RGBA);
  checkLength(fr, w * h * ch, 'frame');
  const [x, y] = [checkSize(x0, 'x0'), checkSize(y0, 'y0')];
  const [ow, oh] = [checkSize(outW, 'outW'), checkSize(outH, 'outH')];
  if (x + ow > w || y + oh > h) throw new TypeError('the patch does not fit in the frame');
  const c = checkF32(rgb, 'rgb');
  const m = checkF32(mask, 'mask');
  const cov = checkU8(covered, 'covered');
  checkLength(c, ow * oh * 3, 'rgb');
  checkLength(m, ow * oh, 'mask');
  checkLength(cov, ow * oh, 'covered');
  return { frame: fr, w, h, ch, x, y, ow, oh, rgb: c, mask: m, covered: cov };
}

export function wrapKernels(raw: RawKernels, backend: Kernels['backend']): Kernels {
  return Object.freeze({
    backend,

    hwcToNchw(src: Uint8Array, width: number, height: number, channels: number,
      norm: Normalization, out?: Float32Array): Float32Array {
      const s = checkU8(src, 'src');
      const w = checkSize(width, 'width');
      const h = checkSize(height, 'height');
      const ch = checkChannels(channels, 'channels', RGB_OR_RGBA);
      const n = checkNorm(norm);
      checkLength(s, w * h * ch, 'src');
      const o = outF32(out, w * h * 3, [s]);
      raw.hwcToNchw(s, w, h, ch, n.mean[0], n.mean[1], n.mean[2], n.std[0], n.std[1], n.std[2], n.bgr, o);
      return o;
    },

    nchwToHwc(src: Float32Array, width: number, height: number, channels: number,
      scale: number, offset: number, bgr?: boolean, out?: Uint8Array): Uint8Array {
      const s = checkF32(src, 'src');
      const w = checkSize(width, 'width');
      const h = checkSize(height, 'height');
      const ch = checkChannels(channels, 'channels', RGB_OR_RGBA);
      const k = checkFinite(scale, 'scale');
      const b = checkFinite(offset, 'offset');
      const swap = checkBool(bgr, 'bgr');
      checkLength(s, w * h * 3, 'src');
      const o = outU8(out, w * h * ch, [s]);
      raw.nchwToHwc(s, w, h, ch, k, b, swap, o);
      return o;
    },

    f32ToF16(src: Float32Array, out?: Uint16Array): Uint16Array {
      const s = checkF32(src, 'src');
      const o = outBuffer(out, s.length, [s], checkU16, (n) => new Uint16Array(n));
      raw.f32ToF16(s, o);
      return o;
    },

    f16ToF32(src: Uint16Array, out?: Float32Array): Float32Array {
      const s = checkU16(src, 'src');
      const o = outF32(out, s.length, [s]);
      raw.f16ToF32(s, o);
      return o;
    },

    warpAffineToNchw(src: Uint8Array, width: number, height: number, channels: number,
      m: Affine, outW: number, outH: number, norm: Normalization, out?: Float32Array): Float32Array {
      const s = checkU8(src, 'src');
      const w = checkSize(width, 'width');
      const h = checkSize(height, 'height');
      const ch = checkChannels(channels, 'channels', RGB_OR_RGBA);
      const [a, b, c, d, e, f] = checkAffine(m);
      const ow = checkSize(outW, 'outW');
      const oh = checkSize(outH, 'outH');
      const n = checkNorm(norm);
      checkLength(s, w * h * ch, 'src');
      const o = outF32(out, ow * oh * 3, [s]);
      raw.warpAffineToNchw(s, w, h, ch, a, b, c, d, e, f, ow, oh,
        n.mean[0], n.mean[1], n.mean[2], n.std[0], n.std[1], n.std[2], n.bgr, o);
      return o;
    },

    pasteBack(frame: Uint8Array, width: number, height: number, channels: number,
      crop: Uint8Array, cropW: number, cropH: number, mask: Float32Array, m: Affine): void {
      const fr = checkU8(frame, 'frame');
      const w = checkSize(width, 'width');
      const h = checkSize(height, 'height');
      const ch = checkChannels(channels, 'channels', RGB_OR_RGBA);
      const cr = checkU8(crop, 'crop');
      const cw = checkSize(cropW, 'cropW');
      const chh = checkSize(cropH, 'cropH');
      const mk = checkF32(mask, 'mask');
      const mm = checkAffine(m);
      checkLength(fr, w * h * ch, 'frame');
      checkLength(cr, cw * chh * 3, 'crop');
      checkLength(mk, cw * chh, 'mask');
      checkDisjoint(fr, [cr, mk], 'frame');
      const [x0, y0, x1, y1] = pasteRegion(mm, cw, chh, w, h);
      raw.pasteBack(fr, w, h, ch, cr, cw, chh, mk, mm[0], mm[1], mm[2], mm[3], mm[4], mm[5], x0, y0, x1, y1);
    },

    placeTile(tile: Float32Array, tileW: number, tileH: number,
      sx: number, sy: number, w: number, h: number,
      out: Uint8Array, outW: number, outH: number, outChannels: number, dx: number, dy: number): void {
      const t = checkF32(tile, 'tile');
      const tw = checkSize(tileW, 'tileW');
      const th = checkSize(tileH, 'tileH');
      const [x, y, rw, rh] = [checkSize(sx, 'sx'), checkSize(sy, 'sy'), checkSize(w, 'w'), checkSize(h, 'h')];
      const o = checkU8(out, 'out');
      const ow = checkSize(outW, 'outW');
      const oh = checkSize(outH, 'outH');
      const ch = checkChannels(outChannels, 'outChannels', RGB_OR_RGBA);
      const [ox, oy] = [checkSize(dx, 'dx'), checkSize(dy, 'dy')];
      checkLength(t, tw * th * 3, 'tile');
      checkLength(o, ow * oh * ch, 'out');
      checkDisjoint(o, [t], 'out');
      if (x + rw > tw || y + rh > th) throw new TypeError('the region does not fit in the tile');
      if (ox + rw > ow || oy + rh > oh) throw new TypeError('the region does not fit in the output');
      raw.placeTile(t, tw, th, x, y, rw, rh, o, ow, oh, ch, ox, oy);
    },

    gaussianBlur(mask: Float32Array, width: number, height: number, sigma: number, out?: Float32Array): Float32Array {
      const mk = checkF32(mask, 'mask');
      const w = checkSize(width, 'width');
      const h = checkSize(height, 'height');
      const s = checkFinite(sigma, 'sigma');
      if (s < 0 || s > MAX_SIGMA) throw new TypeError(`sigma must be in [0, ${MAX_SIGMA}], got ${s}`);
      checkLength(mk, w * h, 'mask');
      const [src, o] = maskOut(mk, out, w * h);
      raw.gaussianBlur(src, w, h, gaussianWeights(s), o);
      return o;
    },

    erode(mask: Float32Array, width: number, height: number, radius: number, out?: Float32Array): Float32Array {
      const mk = checkF32(mask, 'mask');
      const w = checkSize(width, 'width');
      const h = checkSize(height, 'height');
      const r = checkSize(radius, 'radius');
      checkLength(mk, w * h, 'mask');
      const [src, o] = maskOut(mk, out, w * h);
      raw.erode(src, w, h, r, o);
      return o;
    },

    guidedFilter(guide: Float32Array, src: Float32Array, width: number, height: number,
      radius: number, eps: number, out?: Float32Array): Float32Array {
      const g = checkF32(guide, 'guide');
      const p = checkF32(src, 'src');
      const w = checkSize(width, 'width');
      const h = checkSize(height, 'height');
      const r = checkSize(radius, 'radius');
      const e = checkFinite(eps, 'eps');
      if (e <= 0) throw new TypeError(`eps must be > 0, got ${e}`);
      checkLength(g, w * h, 'guide');
      checkLength(p, w * h, 'src');
      const o = outF32(out, w * h, [g, p]);
      raw.guidedFilter(g, p, w, h, r, e, o);
      return o;
    },

    warpTriangles(src: Uint8Array, width: number, height: number, channels: number, srcPts: Float32Array, dstPts: Float32Array,
      triangles: Uint16Array, x0: number, y0: number, outW: number, outH: number, rgb: Float32Array, covered: Uint8Array): void {
      const s = checkU8(src, 'src');
      const w = checkSize(width, 'width');
      const h = checkSize(height, 'height');
      const ch = checkChannels(channels, 'channels', RGB_OR_RGBA);
      checkLength(s, w * h * ch, 'src');
      if (w === 0 || h === 0) throw new TypeError('the source image is empty');
      const sp = checkF32(srcPts, 'srcPts');
      const dp = checkF32(dstPts, 'dstPts');
      if (sp.length !== dp.length || sp.length % 3 !== 0) throw new TypeError('srcPts and dstPts must hold the same number of x, y, z triples');
      const tri = checkU16(triangles, 'triangles');
      if (tri.length % 3 !== 0) throw new TypeError('triangles must hold index triples');
      const n = sp.length / 3;
      for (const i of tri) if (i >= n) throw new TypeError(`a triangle index is out of range (points: ${n})`);
      const px = checkFinite(x0, 'x0');
      const py = checkFinite(y0, 'y0');
      const ow = checkSize(outW, 'outW');
      const oh = checkSize(outH, 'outH');
      const o = checkF32(rgb, 'rgb');
      const cov = checkU8(covered, 'covered');
      checkLength(o, ow * oh * 3, 'rgb');
      checkLength(cov, ow * oh, 'covered');
      checkDisjoint(o, [s, sp, dp, tri, cov], 'rgb');
      checkDisjoint(cov, [s, sp, dp, tri], 'covered');
      raw.warpTriangles(s, w, h, ch, sp, dp, tri, px, py, ow, oh, o, cov);
    },

    transferColour(frame: Uint8Array, width: number, height: number, channels: number, x0: number, y0: number,
      outW: number, outH: number, rgb: Float32Array, mask: Float32Array, covered: Uint8Array): void {
      const p = checkPatch(frame, width, height, channels, x0, y0, outW, outH, rgb, mask, covered);
      checkDisjoint(p.rgb, [p.frame, p.mask, p.covered], 'rgb');
      raw.transferColour(p.frame, p.w, p.h, p.ch, p.x, p.y, p.ow, p.oh, p.rgb, p.mask, p.covered);
    },

    blendPatch(frame: Uint8Array, width: number, height: number, channels: number, x0: number, y0: number,
      outW: number, outH: number, rgb: Float32Array, mask: Float32Array, covered: Uint8Array): void {
      const p = checkPatch(frame, width, height, channels, x0, y0, outW, outH, rgb, mask, covered);
      checkDisjoint(p.frame, [p.rgb, p.mask, p.covered], 'frame');
      raw.blendPatch(p.frame, p.w, p.h, p.ch, p.x, p.y, p.ow, p.oh, p.rgb, p.mask, p.covered);
    },
  });
}
