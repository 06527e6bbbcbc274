/**
 * The flat calling convention both backends implement: numbers, booleans and typed
 * arrays only, every output allocated by the caller, arguments already checked.
 * It is exactly what the Rust addon exports (see native/src/exports.rs), so the
 * TypeScript fallback and the addon plug into the same checking wrapper
 * (`checked.ts`) and cannot drift apart in validation.
 */
export interface RawKernels {
  hwcToNchw(src: Uint8Array, width: number, height: number, channels: number,
    meanR: number, meanG: number, meanB: number, stdR: number, stdG: number, stdB: number,
    bgr: boolean, out: Float32Array): void;

  nchwToHwc(src: Float32Array, width: number, height: number, channels: number,
    scale: number, offset: number, bgr: boolean, out: Uint8Array): void;

  f32ToF16(src: Float32Array, out: Uint16Array): void;
  f16ToF32(src: Uint16Array, out: Float32Array): void;

  warpAffineToNchw(src: Uint8Array, width: number, height: number, channels: number,
    a: number, b: number, c: number, d: number, e: number, f: number,
    outW: number, outH: number,
    meanR: number, meanG: number, meanB: number, stdR: number, stdG: number, stdB: number,
    bgr: boolean, out: Float32Array): void;

  /** [x0, x1) × [y0, y1) is the frame region to visit (a superset of where the mask is > 0). */
  pasteBack(frame: Uint8Array, width: number, height: number, channels: number,
    crop: Uint8Array, cropW: number, cropH: number, mask: Float32Array,
    a: number, b: number, c: number, d: number, e: number, f: number,
    x0: number, y0: number, x1: number, y1: number): void;

  placeTile(tile: Float32Array, tileW: number, tileH: number,
    sx: number, sy: number, w: number, h: number,
    out: Uint8Array, outW: number, outH: number, outChannels: number, dx: number, dy: number): void;

  /** `weights[i]` is the normalised weight at distance i, 0..=radius. */
  gaussianBlur(mask: Float32Array, width: number, height: number, weights: Float64Array, out: Float32Array): void;

  erode(mask: Float32Array, width: number, height: number, radius: number, out: Float32Array): void;

  guidedFilter(guide: Float32Array, src: Float32Array, width: number, height: number,
    radius: number, eps: number, out: Float32Array): void;

  /** Points are x, y, z triples (z unused); the patch's (x0, y0) is its offset in the target frame. */
  warpTriangles(src: Uint8Array, width: number, height: number, channels: number, srcPts: Float32Array, dstPts: Float32Array,
    triangles: Uint16Array, x0: number, y0: number, outW: number, outH: number, rgb: Float32Array, covered: Uint8Array): void;

  /** `rgb` is rewritten in place; (x0, y0) is an integer offset, the patch inside the frame. */
  transferColour(frame: Uint8Array, width: number, height: number, channels: number, x0: number, y0: number,
    outW: number, outH: number, rgb: Float32Array, mask: Float32Array, covered: Uint8Array): void;

  /** `frame` is written in place; (x0, y0) is an integer offset, the patch inside the frame. */
  blendPatch(frame: Uint8Array, width: number, height: number, channels: number, x0: number, y0: number,
    outW: number, outH: number, rgb: Float32Array, mask: Float32Array, covered: Uint8Array): void;
}

export const RAW_KERNEL_NAMES = [
  'hwcToNchw', 'nchwToHwc', 'f32ToF16', 'f16ToF32', 'warpAffineToNchw',
  'pasteBack', 'placeTile', 'gaussianBlur', 'erode', 'guidedFilter', 'warpTriangles',
  'transferColour', 'blendPatch',
] as const satisfies readonly (keyof RawKernels)[];
