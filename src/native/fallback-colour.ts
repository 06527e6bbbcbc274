/**
 * Reinhard colour transfer in CIE L*a*b* (face_swap's mesh engine), TypeScript. The warped
 * source face (RGB f32 patch) takes the mean and standard deviation per LAB channel of the frame
 * under it, both measured where the blend mask is at least half on, so skin tone and lighting
 * follow the target while the source's features stay. native/src/colour.rs is the same
 * arithmetic step for step (f64, LAB stored as f32), so the two agree to the last bit or so.
 */

/** sRGB 0–255 → linear. A 256-entry table: the transfer runs on every face pixel. */
const LINEAR = Float32Array.from({ length: 256 }, (_, i) => {
  const c = i / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
});

/** Linear 0–1 → sRGB 0–255, tabulated at 4096 steps (finer than u8 output needs). */
const GAMMA_STEPS = 4096;
const SRGB = Float32Array.from({ length: GAMMA_STEPS + 1 }, (_, i) => {
  const v = i / GAMMA_STEPS;
  return 255 * (v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055);
});

const XN = 0.95047, ZN = 1.08883;
/** Pixels the statistics need at least; fewer and the transfer is skipped. */
const MIN_PIXELS = 16;
/** A flat source region would otherwise amplify noise without bound. */
const MAX_GAIN = 3;

function f(t: number): number {
  return t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116;
}

function finv(t: number): number {
  return t > 0.206893 ? t * t * t : (t - 16 / 116) / 7.787;
}

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

/** Running sums of one image's LAB values over the qualifying pixels. */
class Moments {
  n = 0;
  s0 = 0; s1 = 0; s2 = 0;
  q0 = 0; q1 = 0; q2 = 0;

  add(lab: Float32Array, o: number): void {
    const a = lab[o], b = lab[o + 1], c = lab[o + 2];
    this.n++;
    this.s0 += a; this.q0 += a * a;
    this.s1 += b; this.q1 += b * b;
    this.s2 += c; this.q2 += c * c;
  }

  mean(): [number, number, number] {
    return [this.s0 / this.n, this.s1 / this.n, this.s2 / this.n];
  }

  std(): [number, number, number] {
    const [m0, m1, m2] = this.mean();
    const sd = (q: number, m: number) => Math.sqrt(Math.max(q / this.n - m * m, 1e-6));
    return [sd(this.q0, m0), sd(this.q1, m1), sd(this.q2, m2)];
  }
}

/** Arguments checked by the wrapper (checked.ts): the patch lies inside the frame. */
export function transferColour(frame: Uint8Array, width: number, _height: number, channels: number, x0: number, y0: number,
  outW: number, outH: number, rgb: Float32Array, mask: Float32Array, covered: Uint8Array): void {
  const n = outW * outH;
  // The warped face's LAB is kept for the second pass; the frame's only feeds the statistics.
  const wl = new Float32Array(3 * n);
  const tl = new Float32Array(3);
  const ws = new Moments(), ts = new Moments();
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const i = y * outW + x;
      const m = mask[i];
      if (m <= 0 || covered[i] === 0) continue;
      toLab(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2], wl, 3 * i);
      if (m < 0.5) continue;
      const o = ((y0 + y) * width + x0 + x) * channels;
      toLab(frame[o], frame[o + 1], frame[o + 2], tl, 0);
      ws.add(wl, 3 * i);
      ts.add(tl, 0);
    }
  }
  if (ws.n < MIN_PIXELS) return;
  const wm = ws.mean(), wsd = ws.std(), tm = ts.mean(), tsd = ts.std();
  const g0 = Math.min(tsd[0] / wsd[0], MAX_GAIN), g1 = Math.min(tsd[1] / wsd[1], MAX_GAIN), g2 = Math.min(tsd[2] / wsd[2], MAX_GAIN);
  for (let i = 0; i < n; i++) {
    if (mask[i] <= 0 || covered[i] === 0) continue;
    const o = 3 * i;
    fromLab((wl[o] - wm[0]) * g0 + tm[0], (wl[o + 1] - wm[1]) * g1 + tm[1], (wl[o + 2] - wm[2]) * g2 + tm[2], rgb, o);
  }
}
