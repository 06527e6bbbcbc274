//! Single-channel f32 mask filters: separable Gaussian blur and grey erosion.
//!
//! Both run a horizontal pass into a scratch image and a vertical pass into `out`,
//! with borders clamped (replicated). The blur accumulates in f64 in the same order
//! as the TypeScript fallback, so the two agree bit for bit.

use crate::parallel::{row_ranges, run, split_rows};

/// `weights[i]` is the normalised weight at distance i (0..=radius).
pub fn gaussian_blur(mask: &[f32], width: usize, height: usize, weights: &[f64], out: &mut [f32]) {
    let r = weights.len() - 1;
    let mut tmp = vec![0f32; width * height];
    // Horizontal: each row is copied into a buffer padded with r edge values per side.
    let ranges = row_ranges(height, width * (r + 1));
    let jobs: Vec<_> = ranges.iter().cloned().zip(split_rows(&mut tmp, width, &ranges)).collect();
    run(jobs, |(rows, chunk)| {
        let mut padded = vec![0f32; width + 2 * r];
        for (i, y) in rows.enumerate() {
            let src = &mask[y * width..(y + 1) * width];
            for (j, p) in padded.iter_mut().enumerate() {
                *p = src[j.saturating_sub(r).min(width - 1)];
            }
            for (x, o) in chunk[i * width..(i + 1) * width].iter_mut().enumerate() {
                let c = x + r;
                let mut acc = weights[0] * padded[c] as f64;
                for (k, &wk) in weights.iter().enumerate().skip(1) {
                    acc += wk * (padded[c - k] as f64 + padded[c + k] as f64);
                }
                *o = acc as f32;
            }
        }
    });
    // Vertical: whole rows at a time so the inner loop runs along memory.
    let tmp = &tmp;
    let ranges = row_ranges(height, width * (r + 1));
    let jobs: Vec<_> = ranges.iter().cloned().zip(split_rows(out, width, &ranges)).collect();
    run(jobs, |(rows, chunk)| {
        let mut acc = vec![0f64; width];
        let row = |y: isize| {
            let y = y.clamp(0, height as isize - 1) as usize;
            &tmp[y * width..(y + 1) * width]
        };
        for (i, y) in rows.enumerate() {
            let y = y as isize;
            for (a, &c) in acc.iter_mut().zip(row(y)) {
                *a = weights[0] * c as f64;
            }
            for (k, &wk) in weights.iter().enumerate().skip(1) {
                let (up, down) = (row(y - k as isize), row(y + k as isize));
                for ((a, &u), &d) in acc.iter_mut().zip(up).zip(down) {
                    *a += wk * (u as f64 + d as f64);
                }
            }
            for (o, &a) in chunk[i * width..(i + 1) * width].iter_mut().zip(&acc) {
                *o = a as f32;
            }
        }
    });
}

/// Minimum over the window, scanned from its first element; NaN handling therefore
/// matches the fallback's `v < m ? v : m` scan exactly.
#[inline(always)]
fn min_into(m: f32, v: f32) -> f32 {
    if v < m {
        v
    } else {
        m
    }
}

/// Square min filter of side 2*radius+1; the window is clipped to the image, which for
/// a minimum is the same as replicating the border.
pub fn erode(mask: &[f32], width: usize, height: usize, radius: usize, out: &mut [f32]) {
    let r = radius.min(width.max(height));
    let mut tmp = vec![0f32; width * height];
    let ranges = row_ranges(height, width * (r + 1));
    let jobs: Vec<_> = ranges.iter().cloned().zip(split_rows(&mut tmp, width, &ranges)).collect();
    run(jobs, |(rows, chunk)| {
        for (i, y) in rows.enumerate() {
            let src = &mask[y * width..(y + 1) * width];
            for (x, o) in chunk[i * width..(i + 1) * width].iter_mut().enumerate() {
                let lo = x.saturating_sub(r);
                let hi = (x + r).min(width - 1);
                *o = src[lo + 1..=hi].iter().fold(src[lo], |m, &v| min_into(m, v));
            }
        }
    });
    let tmp = &tmp;
    let ranges = row_ranges(height, width * (r + 1));
    let jobs: Vec<_> = ranges.iter().cloned().zip(split_rows(out, width, &ranges)).collect();
    run(jobs, |(rows, chunk)| {
        for (i, y) in rows.enumerate() {
            let lo = y.saturating_sub(r);
            let hi = (y + r).min(height - 1);
            let o = &mut chunk[i * width..(i + 1) * width];
            o.copy_from_slice(&tmp[lo * width..(lo + 1) * width]);
            for yy in lo + 1..=hi {
                for (o, &v) in o.iter_mut().zip(&tmp[yy * width..(yy + 1) * width]) {
                    *o = min_into(*o, v);
                }
            }
        }
    });
}
