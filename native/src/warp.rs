//! Face alignment (affine warp into a normalised NCHW crop) and paste-back.

use crate::convert::Norm;
use crate::parallel::{row_ranges, run, split_rows};
use crate::round::trunc_u8;
use crate::sample::Image;

/// Cost of one warped pixel relative to a plain copy, for the threading threshold.
const PIXEL_COST: usize = 16;
/// Side of the output blocks the warp walks, in pixels.
const TILE: usize = 32;

pub fn warp_affine_to_nchw(
    src: &Image<u8>,
    m: &[f64; 6],
    out_w: usize,
    out_h: usize,
    norm: &Norm,
    out: &mut [f32],
) {
    let plane_len = out_w * out_h;
    let (p0, rest) = out.split_at_mut(plane_len);
    let (p1, p2) = rest.split_at_mut(plane_len);
    let ranges = row_ranges(out_h, out_w * PIXEL_COST);
    let jobs: Vec<_> = ranges
        .iter()
        .cloned()
        .zip(split_rows(p0, out_w, &ranges))
        .zip(split_rows(p1, out_w, &ranges))
        .zip(split_rows(p2, out_w, &ranges))
        .map(|(((rows, p0), p1), p2)| (rows, [p0, p1, p2]))
        .collect();
    // Multiplying by 1/std (computed once, in f64, as the fallback does) instead of
    // dividing keeps three divisions per pixel out of the loop.
    let inv = norm.std.map(|s| 1.0 / s);
    let mean = norm.mean;
    run(jobs, |(rows, planes)| {
        // Colour order R, G, B.
        let [p0, p1, p2] = planes;
        let [pr, pg, pb] = if norm.bgr { [p2, p1, p0] } else { [p0, p1, p2] };
        let n_rows = rows.len();
        // Walk the output in TILE×TILE blocks: a rotated row sweeps across many source
        // rows, while a block reads a small source patch that stays in L1.
        for by in (0..n_rows).step_by(TILE) {
            for bx in (0..out_w).step_by(TILE) {
                let x_end = (bx + TILE).min(out_w);
                for i in by..(by + TILE).min(n_rows) {
                    let span = i * out_w + bx..i * out_w + x_end;
                    let dst = [&mut pr[span.clone()], &mut pg[span.clone()], &mut pb[span]];
                    let geom = Row { m: *m, y: rows.start + i, x0: bx };
                    warp_run_mv(src, &geom, &mean, &inv, dst);
                }
            }
        }
    });
}

/// One run of output pixels: row `y`, columns from `x0`.
struct Row {
    m: [f64; 6],
    y: usize,
    x0: usize,
}

#[inline(always)]
fn warp_run(src: &Image<u8>, row: &Row, mean: &[f64; 3], inv: &[f64; 3], dst: [&mut [f32]; 3]) {
    let [a, b, c, d, e, f] = row.m;
    let yf = row.y as f64;
    let [rr, rg, rb] = dst;
    let dsts = rr.iter_mut().zip(rg.iter_mut()).zip(rb.iter_mut());
    for (x, ((or, og), ob)) in (row.x0..).zip(dsts) {
        let xf = x as f64;
        let sx = a * xf + b * yf + c;
        let sy = d * xf + e * yf + f;
        let [vr, vg, vb, _] = src.sample_x4(sx, sy);
        *or = ((vr - mean[0]) * inv[0]) as f32;
        *og = ((vg - mean[1]) * inv[1]) as f32;
        *ob = ((vb - mean[2]) * inv[2]) as f32;
    }
}

fn warp_run_mv(src: &Image<u8>, row: &Row, mean: &[f64; 3], inv: &[f64; 3], dst: [&mut [f32]; 3]) {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::avx2() {
        // SAFETY: the CPU supports AVX2 (checked at run time).
        return unsafe { avx2::warp_run(src, row, mean, inv, dst) };
    }
    warp_run(src, row, mean, inv, dst)
}

#[cfg(target_arch = "x86_64")]
#[path = "warp_avx2.rs"]
mod avx2;

/// Frame rows/columns to visit, [x0, x1) × [y0, y1), already clipped to the frame.
pub struct Bbox {
    pub x0: usize,
    pub y0: usize,
    pub x1: usize,
    pub y1: usize,
}

pub fn paste_back(
    frame: &mut [u8],
    width: usize,
    channels: usize,
    crop: &Image<u8>,
    mask: &Image<f32>,
    m: &[f64; 6],
    bbox: &Bbox,
) {
    let rows_total = bbox.y1 - bbox.y0;
    let row_len = width * channels;
    let ranges = row_ranges(rows_total, (bbox.x1 - bbox.x0) * PIXEL_COST);
    let region = &mut frame[bbox.y0 * row_len..bbox.y1 * row_len];
    let jobs: Vec<_> = ranges.iter().cloned().zip(split_rows(region, row_len, &ranges)).collect();
    run(jobs, |(rows, chunk)| {
        for (i, r) in rows.enumerate() {
            let run = Paste { m: *m, y: bbox.y0 + r, x0: bbox.x0, x1: bbox.x1, channels };
            paste_run_mv(&mut chunk[i * row_len..(i + 1) * row_len], crop, mask, &run);
        }
    });
}

/// One run of frame pixels to paste onto: row `y`, columns `x0..x1`.
struct Paste {
    m: [f64; 6],
    y: usize,
    x0: usize,
    x1: usize,
    channels: usize,
}

#[inline(always)]
fn paste_pixel(row: &mut [u8], x: usize, crop: &Image<u8>, mask: &Image<f32>, run: &Paste) {
    let [a, b, c, d, e, f] = run.m;
    let (xf, yf) = (x as f64, run.y as f64);
    let sx = a * xf + b * yf + c;
    let sy = d * xf + e * yf + f;
    let [mut k] = mask.sample::<1>(sx, sy);
    // Skips NaN as well as 0.
    if k.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return;
    }
    if k > 1.0 {
        k = 1.0;
    }
    let cv = crop.sample::<3>(sx, sy);
    let px = &mut row[x * run.channels..x * run.channels + 3];
    for (p, &cv) in px.iter_mut().zip(&cv) {
        *p = trunc_u8(k * cv + (1.0 - k) * *p as f64);
    }
}

fn paste_run_mv(row: &mut [u8], crop: &Image<u8>, mask: &Image<f32>, run: &Paste) {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::avx2() {
        // SAFETY: the CPU supports AVX2 (checked at run time).
        return unsafe { paste_avx2::paste_run(row, crop, mask, run) };
    }
    for x in run.x0..run.x1 {
        paste_pixel(row, x, crop, mask, run);
    }
}

#[cfg(target_arch = "x86_64")]
#[path = "paste_avx2.rs"]
mod paste_avx2;
