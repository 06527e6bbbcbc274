//! Reinhard colour transfer in CIE L*a*b* (face_swap's mesh engine): the warped source face takes
//! the mean and standard deviation per LAB channel of the frame under it, measured where the
//! blend mask is at least half on. The arithmetic is the TypeScript fallback's
//! (src/native/fallback-colour.ts) step for step: f64, LAB values stored as f32, the same tables;
//! only the cube root is computed differently (see `cbrt`), to within 1e-14.

use crate::mesh_blend::PatchAt;
use crate::round::floor_i64;
use std::sync::OnceLock;

const XN: f64 = 0.95047;
const ZN: f64 = 1.08883;
const GAMMA_STEPS: usize = 4096;
const MIN_PIXELS: usize = 16;
const MAX_GAIN: f64 = 3.0;

struct Tables {
    /// sRGB 0–255 → linear, per integer level.
    linear: [f32; 256],
    /// Linear 0–1 → sRGB 0–255 at GAMMA_STEPS + 1 points.
    srgb: Vec<f32>,
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let mut linear = [0f32; 256];
        for (i, v) in linear.iter_mut().enumerate() {
            let c = i as f64 / 255.0;
            *v = (if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }) as f32;
        }
        let srgb = (0..=GAMMA_STEPS)
            .map(|i| {
                let v = i as f64 / GAMMA_STEPS as f64;
                (255.0 * (if v <= 0.0031308 { 12.92 * v } else { 1.055 * v.powf(1.0 / 2.4) - 0.055 })) as f32
            })
            .collect();
        Tables { linear, srgb }
    })
}

/// ∛t for a positive normal t: a first guess from the exponent bits (a third of the high word
/// plus fdlibm's bias, ~5 % off), then two Halley steps (the error is cubed by each: ~1e-5, then
/// f64 rounding; within 1e-14 of libm's cbrt, so the LAB values, stored as f32, come out the
/// same). libm's cbrt was most of the transfer's time; this is a few multiplies and two divides.
fn cbrt(t: f64) -> f64 {
    let hi = (t.to_bits() >> 32) / 3 + 0x2a9f_7893;
    let mut y = f64::from_bits(hi << 32);
    for _ in 0..2 {
        let y3 = y * y * y;
        y = y * (y3 + 2.0 * t) / (2.0 * y3 + t);
    }
    y
}

fn f(t: f64) -> f64 {
    if t > 0.008856 {
        cbrt(t)
    } else {
        7.787 * t + 16.0 / 116.0
    }
}

fn finv(t: f64) -> f64 {
    if t > 0.206893 {
        t * t * t
    } else {
        (t - 16.0 / 116.0) / 7.787
    }
}

fn linear_of(lin: &[f32; 256], v: f64) -> f64 {
    // NaN passes through, as in the fallback.
    let i = v.clamp(0.0, 255.0);
    let lo = floor_i64(i);
    let t = i - lo as f64;
    let lo = lo as usize;
    if lo >= 255 {
        lin[255] as f64
    } else {
        lin[lo] as f64 * (1.0 - t) + lin[lo + 1] as f64 * t
    }
}

fn to_lab(lin: &[f32; 256], r: f64, g: f64, b: f64) -> [f32; 3] {
    let (rr, gg, bb) = (linear_of(lin, r), linear_of(lin, g), linear_of(lin, b));
    let x = f((0.4124 * rr + 0.3576 * gg + 0.1805 * bb) / XN);
    let y = f(0.2126 * rr + 0.7152 * gg + 0.0722 * bb);
    let z = f((0.0193 * rr + 0.1192 * gg + 0.9505 * bb) / ZN);
    [(116.0 * y - 16.0) as f32, (500.0 * (x - y)) as f32, (200.0 * (y - z)) as f32]
}

fn srgb_of(srgb: &[f32], v: f64) -> f32 {
    if v <= 0.0 {
        return 0.0;
    }
    if v >= 1.0 {
        return 255.0;
    }
    let x = v * GAMMA_STEPS as f64;
    let i = floor_i64(x);
    let t = x - i as f64;
    let i = i as usize;
    (srgb[i] as f64 * (1.0 - t) + srgb[i + 1] as f64 * t) as f32
}

fn from_lab(srgb: &[f32], l: f64, a: f64, bb: f64, out: &mut [f32]) {
    let fy = (l + 16.0) / 116.0;
    let x = XN * finv(fy + a / 500.0);
    let y = finv(fy);
    let z = ZN * finv(fy - bb / 200.0);
    out[0] = srgb_of(srgb, 3.2406 * x - 1.5372 * y - 0.4986 * z);
    out[1] = srgb_of(srgb, -0.9689 * x + 1.8758 * y + 0.0415 * z);
    out[2] = srgb_of(srgb, 0.0557 * x - 0.204 * y + 1.057 * z);
}

/// Running sums of one image's LAB values over the qualifying pixels.
#[derive(Default)]
struct Moments {
    n: usize,
    s: [f64; 3],
    q: [f64; 3],
}

impl Moments {
    fn add(&mut self, lab: &[f32]) {
        self.n += 1;
        for (c, &v) in lab.iter().enumerate() {
            let v = v as f64;
            self.s[c] += v;
            self.q[c] += v * v;
        }
    }

    fn mean(&self) -> [f64; 3] {
        let n = self.n as f64;
        [self.s[0] / n, self.s[1] / n, self.s[2] / n]
    }

    fn std(&self) -> [f64; 3] {
        let m = self.mean();
        let n = self.n as f64;
        let sd = |c: usize| (self.q[c] / n - m[c] * m[c]).max(1e-6).sqrt();
        [sd(0), sd(1), sd(2)]
    }
}

/// Recolours `rgb` (the patch's warped face) in place; see the module comment.
pub fn transfer_colour(frame: &[u8], p: &PatchAt, rgb: &mut [f32], mask: &[f32], covered: &[u8]) {
    let t = tables();
    let n = p.w * p.h;
    let mut wl = vec![0f32; 3 * n];
    let (mut ws, mut ts) = (Moments::default(), Moments::default());
    for y in 0..p.h {
        for x in 0..p.w {
            let i = y * p.w + x;
            let m = mask[i];
            if m <= 0.0 || covered[i] == 0 {
                continue;
            }
            let lab = to_lab(&t.linear, rgb[3 * i] as f64, rgb[3 * i + 1] as f64, rgb[3 * i + 2] as f64);
            wl[3 * i..3 * i + 3].copy_from_slice(&lab);
            if m < 0.5 {
                continue;
            }
            let o = ((p.y0 + y) * p.fw + p.x0 + x) * p.ch;
            let tl = to_lab(&t.linear, frame[o] as f64, frame[o + 1] as f64, frame[o + 2] as f64);
            ws.add(&lab);
            ts.add(&tl);
        }
    }
    if ws.n < MIN_PIXELS {
        return;
    }
    let (wm, wsd, tm, tsd) = (ws.mean(), ws.std(), ts.mean(), ts.std());
    let g =
        [(tsd[0] / wsd[0]).min(MAX_GAIN), (tsd[1] / wsd[1]).min(MAX_GAIN), (tsd[2] / wsd[2]).min(MAX_GAIN)];
    for i in 0..n {
        if mask[i] <= 0.0 || covered[i] == 0 {
            continue;
        }
        let o = 3 * i;
        let l = (wl[o] as f64 - wm[0]) * g[0] + tm[0];
        let a = (wl[o + 1] as f64 - wm[1]) * g[1] + tm[1];
        let b = (wl[o + 2] as f64 - wm[2]) * g[2] + tm[2];
        from_lab(&t.srgb, l, a, b, &mut rgb[o..o + 3]);
    }
}
