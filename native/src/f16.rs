//! IEEE 754 binary32 ↔ binary16 conversion on bit patterns.
//!
//! f32 → f16 rounds to nearest, ties to even, including into and out of the f16
//! subnormal range; overflow gives ±inf. NaN stays NaN: sign and the top 10 payload
//! bits are kept and the quiet bit is set (0x7e00 | payload), so a NaN never turns
//! into an infinity. f16 → f32 is exact; NaNs get the quiet bit set too.

use crate::parallel::{row_ranges, run, split_rows};
use crate::simd::multiversion;

/// Elements per "row" when splitting the work between threads.
const CHUNK: usize = 4096;

/// Every case is computed and the right one selected, without branches, so the loop
/// vectorises (AVX2 has the per-lane shifts the subnormal case needs).
#[inline(always)]
pub fn f32_to_f16_bits(x: u32) -> u16 {
    let sign = (x >> 16) & 0x8000;
    let exp = (x >> 23) & 0xff;
    let mant = x & 0x7f_ffff;
    let e = exp as i32 - 112; // the f16 exponent field

    // Normal f16: keep 10 mantissa bits; a carry out of them bumps the exponent (up to inf).
    let h = ((e as u32) << 10).wrapping_add(mant >> 13);
    let rest = mant & 0x1fff;
    let up = (rest > 0x1000) | ((rest == 0x1000) & (h & 1 == 1));
    let normal = h.wrapping_add(up as u32);

    // Subnormal f16 (or zero): the value is m · 2^(exp-150) and the f16 unit is 2^-24.
    // A shift of 25 or more leaves 0 with no rounding up, as it should.
    let shift = (14 - e).clamp(1, 25) as u32;
    let m = mant | 0x80_0000;
    let hs = m >> shift;
    let rest = m & ((1 << shift) - 1);
    let half = 1 << (shift - 1);
    let up = (rest > half) | ((rest == half) & (hs & 1 == 1));
    let sub = hs + up as u32;

    // NaN stays NaN: top payload bits kept, quiet bit set.
    let special = if mant == 0 { 0x7c00 } else { 0x7e00 | (mant >> 13) };
    let r = if exp == 0xff {
        special
    } else if e >= 31 {
        0x7c00
    } else if e >= 1 {
        normal
    } else {
        sub
    };
    (sign | r) as u16
}

#[inline(always)]
pub fn f16_to_f32_bits(h: u16) -> u32 {
    let sign = ((h & 0x8000) as u32) << 16;
    let exp = ((h >> 10) & 0x1f) as u32;
    let mant = (h & 0x3ff) as u32;
    let normal = ((exp + 112) << 23) | (mant << 13);
    // Zero or subnormal: mant · 2^-24, exact in f32.
    let sub = (mant as f32 * (1.0 / 16_777_216.0)).to_bits();
    let special = 0x7f80_0000 | (mant << 13) | if mant != 0 { 0x40_0000 } else { 0 };
    sign | if exp == 0 {
        sub
    } else if exp == 31 {
        special
    } else {
        normal
    }
}

#[inline(always)]
fn to_f16_slice(src: &[f32], out: &mut [u16]) {
    for (o, &s) in out.iter_mut().zip(src) {
        *o = f32_to_f16_bits(s.to_bits());
    }
}

#[inline(always)]
fn to_f32_slice(src: &[u16], out: &mut [f32]) {
    for (o, &s) in out.iter_mut().zip(src) {
        *o = f32::from_bits(f16_to_f32_bits(s));
    }
}

multiversion! { fn to_f16_mv(src: &[f32], out: &mut [u16]) => to_f16_slice }
multiversion! { fn to_f32_mv(src: &[u16], out: &mut [f32]) => to_f32_slice }

pub fn f32_to_f16(src: &[f32], out: &mut [u16]) {
    let rows = src.len().div_ceil(CHUNK);
    let ranges = row_ranges(rows, CHUNK);
    let jobs: Vec<_> = ranges.iter().cloned().zip(split_rows(out, CHUNK, &ranges)).collect();
    run(jobs, |(rows, out)| {
        let src = &src[rows.start * CHUNK..(rows.end * CHUNK).min(src.len())];
        to_f16_mv(src, out);
    });
}

pub fn f16_to_f32(src: &[u16], out: &mut [f32]) {
    let rows = src.len().div_ceil(CHUNK);
    let ranges = row_ranges(rows, CHUNK);
    let jobs: Vec<_> = ranges.iter().cloned().zip(split_rows(out, CHUNK, &ranges)).collect();
    run(jobs, |(rows, out)| {
        let src = &src[rows.start * CHUNK..(rows.end * CHUNK).min(src.len())];
        to_f32_mv(src, out);
    });
}
