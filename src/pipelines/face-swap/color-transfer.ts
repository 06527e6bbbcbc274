/**
 * Reinhard colour transfer in CIE L*a*b*: the warped source face takes the target face's mean
 * and standard deviation per channel, measured over the pixels where the blend mask is at least
 * half on, so skin tone and lighting follow the target while the source's features stay.
 */

/** sRGB 0–255 → linear. A 256-entry table: the transfer runs on every face pixel. */
const LINEAR = Float32Array.from({ length: 256 }, (_, i) => {
  const c = i / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
});

const XN = 0.95047, ZN = 1.08883;
const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
const finv = (t: number) => (t > 0.206893 ? t * t * t : (t - 16 / 116) / 7.787);

function linearOf(v: number): number {
  const i = v <= 0 ? 0 : v >= 255 ? 255 : v;
  const lo = Math.floor(i), t = i - lo;
  return lo >= 255 ? LINEAR[255] : LINEAR[lo] * (1 - t) + LINEAR[lo + 1] * t;
}

function toLab(r: number, g: number, b: number, out: Float32Array, o: number): void {
  const R = linearOf(r), G = linearOf(g), B = linearOf(b);
  const x = f((0.4124 * R + 0.3576 * G + 0.1805 * B) / XN);
  const y = f(0.2126 * R + 0.7152 * G + 0.0722 * B);
  const z = f((0.0193 * R + 0.1192 * G + 0.9505 * B) / ZN);
  out[o] = 116 * y - 16;
  out[o + 1] = 500 * (x - y);
  out[o + 2] = 200 * (y - z);
}

/** Linear 0–1 → sRGB 0–255, tabulated at 4096 steps (finer than u8 output needs). */
const GAMMA_STEPS = 4096;
const SRGB = Float32Array.from({ length: GAMMA_STEPS + 1 }, (_, i) => {
  const v = i / GAMMA_STEPS;
  return 255 * (v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055);
});

function srgbOf(v: number): number {
  if (v <= 0) return 0;
  if (v >= 1) return 255;
  const x = v * GAMMA_STEPS, i = Math.floor(x), t = x - i;
  return SRGB[i] * (1 - t) + SRGB[i + 1] * t;
}

function fromLab(L: number, a: number, bb: number, out: Float32Array, o: number): void {
  const fy = (L + 16) / 116;
  const X = XN * finv(fy + a / 500), Y = finv(fy), Z = ZN * finv(fy - bb / 200);
  out[o] = srgbOf(3.2406 * X - 1.5372 * Y - 0.4986 * Z);
  out[o + 1] = srgbOf(-0.9689 * X + 1.8758 * Y + 0.0415 * Z);
  out[o + 2] = srgbOf(0.0557 * X - 0.204 * Y + 1.057 * Z);
}

function stats(lab: Float32Array, use: (i: number) => boolean, n: number): { mean: number[]; std: number[] } | null {
  const sum = [0, 0, 0], sq = [0, 0, 0];
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (!use(i)) continue;
    k++;
    for (let c = 0; c < 3; c++) { const v = lab[3 * i + c]; sum[c] += v; sq[c] += v * v; }
  }
  if (k < 16) return null;
  const mean = sum.map((s) => s / k);
  return { mean, std: sq.map((s, c) => Math.sqrt(Math.max(s / k - mean[c] * mean[c], 1e-6))) };
}

/**
 * Recolours `warped` (RGB f32 0–255, in place) to match `target` (RGB f32 0–255) over the pixels
 * where `mask` ≥ 0.5 and the warp covered the pixel. No-op when too few pixels qualify.
 */
export function transferColour(warped: Float32Array, target: Float32Array, mask: Float32Array, covered: Uint8Array): void {
  const n = mask.length;
  const wl = new Float32Array(3 * n), tl = new Float32Array(3 * n);
  const use = (i: number) => mask[i] >= 0.5 && covered[i] === 1;
  for (let i = 0; i < n; i++) {
    if (mask[i] <= 0 || covered[i] === 0) continue;
    toLab(warped[3 * i], warped[3 * i + 1], warped[3 * i + 2], wl, 3 * i);
    toLab(target[3 * i], target[3 * i + 1], target[3 * i + 2], tl, 3 * i);
  }
  const ws = stats(wl, use, n), ts = stats(tl, use, n);
  if (!ws || !ts) return;
  // Cap the gain: a flat source region would otherwise amplify noise without bound.
  const gain = ws.std.map((s, c) => Math.min(ts.std[c] / s, 3));
  for (let i = 0; i < n; i++) {
    if (mask[i] <= 0 || covered[i] === 0) continue;
    const o = 3 * i;
    fromLab((wl[o] - ws.mean[0]) * gain[0] + ts.mean[0], (wl[o + 1] - ws.mean[1]) * gain[1] + ts.mean[1],
      (wl[o + 2] - ws.mean[2]) * gain[2] + ts.mean[2], warped, o);
  }
}
