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

/// The warp with the bilinear arithmetic of a pixel's channels (R, G, B, and one lane
/// unused) done as one 4-lane f64 vector: the same IEEE operations in the same order as
/// the scalar code, so the results are identical.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::Row;
    use crate::sample::Image;
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2")]
    pub unsafe fn warp_run(
        src: &Image<u8>,
        row: &Row,
        mean: &[f64; 3],
        inv: &[f64; 3],
        dst: [&mut [f32]; 3],
    ) {
        let [a, b, c, d, e, f] = row.m;
        let yf = row.y as f64;
        let (w, h) = (src.width as f64, src.height as f64);
        let stride = src.stride;
        let line = src.width * stride;
        let data = src.data;
        let vmean = _mm256_setr_pd(mean[0], mean[1], mean[2], 0.0);
        let vinv = _mm256_setr_pd(inv[0], inv[1], inv[2], 0.0);
        let [rr, rg, rb] = dst;
        let dsts = rr.iter_mut().zip(rg.iter_mut()).zip(rb.iter_mut());
        for (x, ((or, og), ob)) in (row.x0..).zip(dsts) {
            let xf = x as f64;
            let sx = a * xf + b * yf + c;
            let sy = d * xf + e * yf + f;
            let mut v = None;
            if sx >= 0.0 && sy >= 0.0 && sx < w - 1.0 && sy < h - 1.0 {
                let x0 = sx.to_int_unchecked::<i64>();
                let y0 = sy.to_int_unchecked::<i64>();
                let i = (y0 as usize * src.width + x0 as usize) * stride;
                // Four bytes are read per corner: the last pixels of a 3-channel image
                // would read past the end, so those go the scalar way.
                if i + line + stride + 4 <= data.len() {
                    let p = data.as_ptr().add(i);
                    let load = |o: usize| {
                        let word = std::ptr::read_unaligned(p.add(o) as *const i32);
                        _mm256_cvtepi32_pd(_mm_cvtepu8_epi32(_mm_cvtsi32_si128(word)))
                    };
                    let fx = sx - x0 as f64;
                    let fy = sy - y0 as f64;
                    let (gx, gy) = (_mm256_set1_pd(1.0 - fx), _mm256_set1_pd(1.0 - fy));
                    let (fx, fy) = (_mm256_set1_pd(fx), _mm256_set1_pd(fy));
                    let top = _mm256_add_pd(_mm256_mul_pd(load(0), gx), _mm256_mul_pd(load(stride), fx));
                    let bottom =
                        _mm256_add_pd(_mm256_mul_pd(load(line), gx), _mm256_mul_pd(load(line + stride), fx));
                    v = Some(_mm256_add_pd(_mm256_mul_pd(top, gy), _mm256_mul_pd(bottom, fy)));
                }
            }
            let v = match v {
                Some(v) => v,
                None => {
                    let [r, g, b] = src.sample::<3>(sx, sy);
                    _mm256_setr_pd(r, g, b, 0.0)
                }
            };
            let n = _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_sub_pd(v, vmean), vinv));
            let mut out = [0f32; 4];
            _mm_storeu_ps(out.as_mut_ptr(), n);
            *or = out[0];
            *og = out[1];
            *ob = out[2];
        }
    }
}

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
    let [a, b, c, d, e, f] = *m;
    run(jobs, |(rows, chunk)| {
        for (i, r) in rows.enumerate() {
            let yf = (bbox.y0 + r) as f64;
            let row = &mut chunk[i * row_len..(i + 1) * row_len];
            for x in bbox.x0..bbox.x1 {
                let xf = x as f64;
                let sx = a * xf + b * yf + c;
                let sy = d * xf + e * yf + f;
                let [mut k] = mask.sample::<1>(sx, sy);
                // Skips NaN as well as 0.
                if k.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
                    continue;
                }
                if k > 1.0 {
                    k = 1.0;
                }
                let cv = crop.sample::<3>(sx, sy);
                let px = &mut row[x * channels..x * channels + 3];
                for (p, &cv) in px.iter_mut().zip(&cv) {
                    *p = trunc_u8(k * cv + (1.0 - k) * *p as f64);
                }
            }
        }
    });
}
