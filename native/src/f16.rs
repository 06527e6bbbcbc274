//! IEEE 754 binary32 ↔ binary16 conversion on bit patterns.
//!
//! f32 → f16 rounds to nearest, ties to even, including into and out of the f16
//! subnormal range; overflow gives ±inf. NaN stays NaN: sign and the top 10 payload
//! bits are kept and the quiet bit is set (0x7e00 | payload), so a NaN never turns
//! into an infinity. f16 → f32 is exact; NaNs get the quiet bit set too.

use crate::parallel::{row_ranges, run, split_rows};

/// Elements per "row" when splitting the work between threads.
const CHUNK: usize = 4096;

#[inline(always)]
pub fn f32_to_f16_bits(x: u32) -> u16 {
    let sign = ((x >> 16) & 0x8000) as u16;
    let exp = ((x >> 23) & 0xff) as i32;
    let mant = x & 0x7f_ffff;
    if exp == 0xff {
        return if mant == 0 { sign | 0x7c00 } else { sign | 0x7e00 | (mant >> 13) as u16 };
    }
    let e = exp - 127 + 15;
    if e >= 31 {
        return sign | 0x7c00;
    }
    if e >= 1 {
        let mut h = ((e as u32) << 10) | (mant >> 13);
        let rest = mant & 0x1fff;
        if rest > 0x1000 || (rest == 0x1000 && (h & 1) == 1) {
            // A carry out of the mantissa correctly bumps the exponent (up to inf).
            h += 1;
        }
        return sign | h as u16;
    }
    // f16 subnormal (or zero): the value is m · 2^(exp-150), the f16 unit is 2^-24.
    let shift = (14 - e) as u32;
    if shift > 24 {
        return sign;
    }
    let m = mant | 0x80_0000;
    let mut h = m >> shift;
    let rest = m & ((1 << shift) - 1);
    let half = 1 << (shift - 1);
    if rest > half || (rest == half && (h & 1) == 1) {
        h += 1;
    }
    sign | h as u16
}

#[inline(always)]
pub fn f16_to_f32_bits(h: u16) -> u32 {
    let sign = ((h & 0x8000) as u32) << 16;
    let exp = ((h >> 10) & 0x1f) as u32;
    let mant = (h & 0x3ff) as u32;
    match exp {
        0 => {
            // Zero or subnormal: mant · 2^-24, exact in f32.
            sign | (mant as f32 * (1.0 / 16_777_216.0)).to_bits()
        }
        31 if mant == 0 => sign | 0x7f80_0000,
        31 => sign | 0x7fc0_0000 | (mant << 13),
        _ => sign | ((exp + 112) << 23) | (mant << 13),
    }
}

pub fn f32_to_f16(src: &[f32], out: &mut [u16]) {
    let rows = src.len().div_ceil(CHUNK);
    let ranges = row_ranges(rows, CHUNK);
    let jobs: Vec<_> = ranges.iter().cloned().zip(split_rows(out, CHUNK, &ranges)).collect();
    run(jobs, |(rows, out)| {
        let src = &src[rows.start * CHUNK..(rows.end * CHUNK).min(src.len())];
        for (o, &s) in out.iter_mut().zip(src) {
            *o = f32_to_f16_bits(s.to_bits());
        }
    });
}

pub fn f16_to_f32(src: &[u16], out: &mut [f32]) {
    let rows = src.len().div_ceil(CHUNK);
    let ranges = row_ranges(rows, CHUNK);
    let jobs: Vec<_> = ranges.iter().cloned().zip(split_rows(out, CHUNK, &ranges)).collect();
    run(jobs, |(rows, out)| {
        let src = &src[rows.start * CHUNK..(rows.end * CHUNK).min(src.len())];
        for (o, &s) in out.iter_mut().zip(src) {
            *o = f32::from_bits(f16_to_f32_bits(s));
        }
    });
}
