/**
 * From the model's low-resolution probability to a full-resolution matte (alpha in 0–1):
 * bilinear upsampling (pixel centres aligned), an optional hard cut at `mask_threshold`, then
 * edge-aware refinement with a guided filter steered by the picture's luminance, so the matte's
 * edges follow the edges in the picture instead of the model's 256-pixel grid; finally an
 * optional Gaussian feather.
 */
import type { DecodedImage } from '../../imaging/decoded-image.js';
import type { Kernels } from '../../native/types.js';

export type Refinement = 'guided' | 'bilinear';

export interface MatteOptions {
  threshold: number | null;
  feather: number;
  /** 'bilinear' skips the guided filter (the baseline the tests and bench compare against). */
  refine?: Refinement;
}

/** Bilinear resize of a square size×size f32 mask to width×height, half-pixel centres, edges clamped. */
export function upsampleBilinear(mask: Float32Array, size: number, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  const sx = size / width;
  const sy = size / height;
  const xs0 = new Int32Array(width);
  const xs1 = new Int32Array(width);
  const fx = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const u = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), size - 1);
    xs0[x] = Math.floor(u);
    xs1[x] = Math.min(xs0[x] + 1, size - 1);
    fx[x] = u - xs0[x];
  }
  for (let y = 0; y < height; y++) {
    const v = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), size - 1);
    const y0 = Math.floor(v);
    const y1 = Math.min(y0 + 1, size - 1);
    const fy = v - y0;
    const r0 = y0 * size;
    const r1 = y1 * size;
    for (let x = 0; x < width; x++) {
      const top = mask[r0 + xs0[x]] * (1 - fx[x]) + mask[r0 + xs1[x]] * fx[x];
      const bottom = mask[r1 + xs0[x]] * (1 - fx[x]) + mask[r1 + xs1[x]] * fx[x];
      out[y * width + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** Rec. 601 luma of the picture in 0–1: the guide of the filter. */
export function luminance(img: DecodedImage): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n);
  for (let i = 0, j = 0; i < n; i++, j += img.channels) {
    out[i] = (0.299 * img.data[j] + 0.587 * img.data[j + 1] + 0.114 * img.data[j + 2]) / 255;
  }
  return out;
}

/**
 * Filter settings for an output of this size from a size-pixel mask: the window spans about two
 * model pixels (so a block edge of the upsampled mask is inside one window and can move onto
 * the picture's edge), eps small enough that real edges (a luma step of ~0.1) steer it.
 */
export function guidedSettings(width: number, height: number, maskSize: number): { radius: number; eps: number } {
  const cell = Math.max(width, height) / maskSize;
  return { radius: Math.max(2, Math.round(2 * cell)), eps: 1e-3 };
}

export function buildMatte(img: DecodedImage, mask: Float32Array, maskSize: number, kernels: Kernels, opts: MatteOptions): Float32Array {
  let low = mask;
  if (opts.threshold !== null) {
    const t = opts.threshold;
    low = mask.map((v) => (v >= t ? 1 : 0));
  }
  let alpha = upsampleBilinear(low, maskSize, img.width, img.height);
  if ((opts.refine ?? 'guided') === 'guided') {
    const { radius, eps } = guidedSettings(img.width, img.height, maskSize);
    alpha = kernels.guidedFilter(luminance(img), alpha, img.width, img.height, radius, eps);
  }
  for (let i = 0; i < alpha.length; i++) alpha[i] = Math.min(Math.max(alpha[i], 0), 1);
  if (opts.feather > 0) alpha = kernels.gaussianBlur(alpha, img.width, img.height, opts.feather);
  return alpha;
}
