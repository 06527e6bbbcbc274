//! Single-channel f32 mask filters: separable Gaussian blur and grey erosion.
//!
//! Both run a horizontal pass into a scratch image and a vertical pass into `out`,
//! with borders clamped (replicated). Every loop runs across a row, so it vectorises,
//! while each output element still sees its operations in the same order as the
//! TypeScript fallback: the blur sums in f64, centre tap first, then the pairs at
//! distance 1, 2, …, r, and so agrees with it bit for bit.

use crate::parallel::{row_ranges, run, split_rows};
use crate::simd::multiversion;

/// acc[x] = w0 * centre[x]
#[inline(always)]
fn acc_init(acc: &mut [f64], w0: f64, centre: &[f32]) {
    for (a, &c) in acc.iter_mut().zip(centre) {
        *a = w0 * c as f64;
    }
}

/// acc[x] += wk * (a[x] + b[x])
#[inline(always)]
fn acc_pair(acc: &mut [f64], wk: f64, a: &[f32], b: &[f32]) {
    for ((s, &a), &b) in acc.iter_mut().zip(a).zip(b) {
        *s += wk * (a as f64 + b as f64);
    }
}

#[inline(always)]
fn acc_store(out: &mut [f32], acc: &[f64]) {
    for (o, &a) in out.iter_mut().zip(acc) {
        *o = a as f32;
    }
}

/// One output row from `taps(k)`, the two rows (or shifted row views) at distance k.
#[inline(always)]
fn blur_row<'a>(
    weights: &[f64],
    acc: &mut [f64],
    out: &mut [f32],
    taps: impl Fn(usize) -> (&'a [f32], &'a [f32]),
) {
    acc_init(acc, weights[0], taps(0).0);
    for (k, &wk) in weights.iter().enumerate().skip(1) {
        let (a, b) = taps(k);
        acc_pair(acc, wk, a, b);
    }
    acc_store(out, acc);
}

#[inline(always)]
fn blur_rows_h(mask: &[f32], width: usize, weights: &[f64], first_row: usize, chunk: &mut [f32]) {
    let r = weights.len() - 1;
    let mut padded = vec![0f32; width + 2 * r];
    let mut acc = vec![0f64; width];
    for (i, out) in chunk.chunks_exact_mut(width).enumerate() {
        let y = first_row + i;
        let src = &mask[y * width..(y + 1) * width];
        for (j, p) in padded.iter_mut().enumerate() {
            *p = src[j.saturating_sub(r).min(width - 1)];
        }
        let p = &padded;
        blur_row(weights, &mut acc, out, |k| (&p[r - k..r - k + width], &p[r + k..r + k + width]));
    }
}

#[inline(always)]
fn blur_rows_v(
    tmp: &[f32],
    width: usize,
    height: usize,
    weights: &[f64],
    first_row: usize,
    chunk: &mut [f32],
) {
    let mut acc = vec![0f64; width];
    let row = |y: isize| {
        let y = y.clamp(0, height as isize - 1) as usize;
        &tmp[y * width..(y + 1) * width]
    };
    for (i, out) in chunk.chunks_exact_mut(width).enumerate() {
        let y = (first_row + i) as isize;
        blur_row(weights, &mut acc, out, |k| (row(y - k as isize), row(y + k as isize)));
    }
}

multiversion! {
    fn blur_rows_h_mv(mask: &[f32], width: usize, weights: &[f64], first_row: usize, chunk: &mut [f32])
        => blur_rows_h
}
multiversion! {
    fn blur_rows_v_mv(
        tmp: &[f32], width: usize, height: usize, weights: &[f64], first_row: usize, chunk: &mut [f32],
    ) => blur_rows_v
}

/// `weights[i]` is the normalised weight at distance i (0..=radius). width, height > 0.
pub fn gaussian_blur(mask: &[f32], width: usize, height: usize, weights: &[f64], out: &mut [f32]) {
    let taps = weights.len();
    let mut tmp = vec![0f32; width * height];
    let ranges = row_ranges(height, width * taps);
    let jobs: Vec<_> = ranges.iter().cloned().zip(split_rows(&mut tmp, width, &ranges)).collect();
    run(jobs, |(rows, chunk)| blur_rows_h_mv(mask, width, weights, rows.start, chunk));
    let tmp = &tmp;
    let jobs: Vec<_> = ranges.iter().cloned().zip(split_rows(out, width, &ranges)).collect();
    run(jobs, |(rows, chunk)| blur_rows_v_mv(tmp, width, height, weights, rows.start, chunk));
}

/// The fallback's scan step `v < m ? v : m`; keeping its exact form keeps NaN handling equal.
#[inline(always)]
fn min_into(m: &mut [f32], v: &[f32]) {
    for (m, &v) in m.iter_mut().zip(v) {
        *m = if v < *m { v } else { *m };
    }
}

/// Horizontal minimum over [x-r, x+r]. The row is padded with copies of its edge
/// values, which visits the same elements in the same order as the fallback's window
/// clipped to the row, plus repeats of the edge values, which change nothing.
#[inline(always)]
fn erode_rows_h(mask: &[f32], width: usize, r: usize, first_row: usize, chunk: &mut [f32]) {
    let mut padded = vec![0f32; width + 2 * r];
    for (i, out) in chunk.chunks_exact_mut(width).enumerate() {
        let y = first_row + i;
        let src = &mask[y * width..(y + 1) * width];
        for (j, p) in padded.iter_mut().enumerate() {
            *p = src[j.saturating_sub(r).min(width - 1)];
        }
        out.copy_from_slice(&padded[..width]);
        for k in 1..=2 * r {
            min_into(out, &padded[k..k + width]);
        }
    }
}

#[inline(always)]
fn erode_rows_v(tmp: &[f32], width: usize, height: usize, r: usize, first_row: usize, chunk: &mut [f32]) {
    for (i, out) in chunk.chunks_exact_mut(width).enumerate() {
        let y = first_row + i;
        let lo = y.saturating_sub(r);
        let hi = (y + r).min(height - 1);
        out.copy_from_slice(&tmp[lo * width..(lo + 1) * width]);
        for yy in lo + 1..=hi {
            min_into(out, &tmp[yy * width..(yy + 1) * width]);
        }
    }
}

multiversion! {
    fn erode_rows_h_mv(mask: &[f32], width: usize, r: usize, first_row: usize, chunk: &mut [f32]) => erode_rows_h
}
multiversion! {
    fn erode_rows_v_mv(tmp: &[f32], width: usize, height: usize, r: usize, first_row: usize, chunk: &mut [f32])
        => erode_rows_v
}

/// Square min filter of side 2*radius+1; the window is clipped to the image, which for
/// a minimum is the same as replicating the border. width, height > 0.
pub fn erode(mask: &[f32], width: usize, height: usize, radius: usize, out: &mut [f32]) {
    let r = radius.min(width.max(height));
    let mut tmp = vec![0f32; width * height];
    let ranges = row_ranges(height, width * (r + 1));
    let jobs: Vec<_> = ranges.iter().cloned().zip(split_rows(&mut tmp, width, &ranges)).collect();
    run(jobs, |(rows, chunk)| erode_rows_h_mv(mask, width, r.min(width), rows.start, chunk));
    let tmp = &tmp;
    let jobs: Vec<_> = ranges.iter().cloned().zip(split_rows(out, width, &ranges)).collect();
    run(jobs, |(rows, chunk)| erode_rows_v_mv(tmp, width, height, r, rows.start, chunk));
}
