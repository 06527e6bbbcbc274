//! The mesh engine's blend: each patch pixel the warp covered and the mask reaches becomes
//! mask·rgb + (1 − mask)·frame, rounded half up and clamped to u8 (the TypeScript fallback,
//! src/native/fallback-mesh-blend.ts, uses Math.round; `round_half_up` is that rounding exactly).

use crate::round::floor_i64;

/// A w×h patch at (x0, y0) of a frame fw pixels wide with `ch` channels (inside the frame).
pub struct PatchAt {
    pub fw: usize,
    pub ch: usize,
    pub x0: usize,
    pub y0: usize,
    pub w: usize,
    pub h: usize,
}

/// JavaScript's Math.round for finite v: the nearest integer, ties towards +∞.
fn round_half_up(v: f64) -> f64 {
    let r = floor_i64(v) as f64;
    if v - r >= 0.5 {
        r + 1.0
    } else {
        r
    }
}

pub fn blend_patch(frame: &mut [u8], p: &PatchAt, rgb: &[f32], mask: &[f32], covered: &[u8]) {
    for y in 0..p.h {
        let row = ((p.y0 + y) * p.fw + p.x0) * p.ch;
        for x in 0..p.w {
            let i = y * p.w + x;
            let a = mask[i] as f64;
            if a <= 0.0 || covered[i] == 0 {
                continue;
            }
            let b = 1.0 - a;
            let o = row + x * p.ch;
            for c in 0..3 {
                let v = a * rgb[3 * i + c] as f64 + b * frame[o + c] as f64;
                frame[o + c] = if v <= 0.0 {
                    0
                } else if v >= 255.0 {
                    255
                } else {
                    round_half_up(v) as u8
                };
            }
        }
    }
}
