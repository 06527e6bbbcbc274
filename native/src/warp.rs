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

/// The warp with AVX2: four output pixels at a time, their corner pixels loaded as
/// 4-byte words and each channel interpolated as one 4-lane f64 vector. Every lane performs
/// the same IEEE operations in the same order as the scalar code (`Image::sample`), so
/// the results are identical; pixels near the border take the scalar path.
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
        let n = dst[0].len();
        let mut dst = dst;
        let scalar = |i: usize, dst: &mut [&mut [f32]; 3]| {
            let xf = (row.x0 + i) as f64;
            let v = src.sample::<3>(a * xf + b * yf + c, d * xf + e * yf + f);
            for k in 0..3 {
                dst[k][i] = ((v[k] - mean[k]) * inv[k]) as f32;
            }
        };
        let data = src.data;
        let (stride, line) = (src.stride, src.width * src.stride);
        // Gathers take i32 byte offsets; the last corner reads 4 bytes at offset i + line + stride.
        let fits_i32 = data.len() < (i32::MAX as usize) - 64;
        let limit =
            _mm_set1_epi32(data.len().saturating_sub(line + stride + 4).min(i32::MAX as usize) as i32);
        let (va, vc, vd, vf) = (_mm256_set1_pd(a), _mm256_set1_pd(c), _mm256_set1_pd(d), _mm256_set1_pd(f));
        let (byf, eyf) = (_mm256_set1_pd(b * yf), _mm256_set1_pd(e * yf));
        let zero = _mm256_setzero_pd();
        let one = _mm256_set1_pd(1.0);
        let w1 = _mm256_set1_pd(src.width as f64 - 1.0);
        let h1 = _mm256_set1_pd(src.height as f64 - 1.0);
        let (vw, vs) = (_mm_set1_epi32(src.width as i32), _mm_set1_epi32(stride as i32));
        let base = data.as_ptr();
        // Byte k of each of the four gathered words, zero-extended.
        let pick = [
            _mm_setr_epi8(0, -1, -1, -1, 4, -1, -1, -1, 8, -1, -1, -1, 12, -1, -1, -1),
            _mm_setr_epi8(1, -1, -1, -1, 5, -1, -1, -1, 9, -1, -1, -1, 13, -1, -1, -1),
            _mm_setr_epi8(2, -1, -1, -1, 6, -1, -1, -1, 10, -1, -1, -1, 14, -1, -1, -1),
        ];
        let means = mean.map(|m| _mm256_set1_pd(m));
        let invs = inv.map(|v| _mm256_set1_pd(v));
        let mut i = 0;
        while fits_i32 && i + 4 <= n {
            let x = (row.x0 + i) as f64;
            let xs = _mm256_setr_pd(x, x + 1.0, x + 2.0, x + 3.0);
            // The scalar order: (a*x + b*y) + c.
            let sx = _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(va, xs), byf), vc);
            let sy = _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(vd, xs), eyf), vf);
            let inside = _mm256_and_pd(
                _mm256_and_pd(_mm256_cmp_pd::<_CMP_GE_OQ>(sx, zero), _mm256_cmp_pd::<_CMP_GE_OQ>(sy, zero)),
                _mm256_and_pd(_mm256_cmp_pd::<_CMP_LT_OQ>(sx, w1), _mm256_cmp_pd::<_CMP_LT_OQ>(sy, h1)),
            );
            if _mm256_movemask_pd(inside) == 0xf {
                let x0 = _mm256_floor_pd(sx);
                let y0 = _mm256_floor_pd(sy);
                let (xi, yi) = (_mm256_cvttpd_epi32(x0), _mm256_cvttpd_epi32(y0));
                let idx = _mm_mullo_epi32(_mm_add_epi32(_mm_mullo_epi32(yi, vw), xi), vs);
                if _mm_movemask_epi8(_mm_cmpgt_epi32(idx, limit)) == 0 {
                    let fx = _mm256_sub_pd(sx, x0);
                    let fy = _mm256_sub_pd(sy, y0);
                    let (gx, gy) = (_mm256_sub_pd(one, fx), _mm256_sub_pd(one, fy));
                    // Plain loads: gathers are slow on CPUs with the GDS (Downfall) microcode fix.
                    let mut lanes = [0i32; 4];
                    _mm_storeu_si128(lanes.as_mut_ptr() as *mut __m128i, idx);
                    let word = |o: i32| std::ptr::read_unaligned(base.add(o as usize) as *const i32);
                    let at = |off: usize| {
                        let off = off as i32;
                        _mm_setr_epi32(
                            word(lanes[0] + off),
                            word(lanes[1] + off),
                            word(lanes[2] + off),
                            word(lanes[3] + off),
                        )
                    };
                    let (c00, c10, c01, c11) = (at(0), at(stride), at(line), at(line + stride));
                    for k in 0..3 {
                        let ch = |v: __m128i| _mm256_cvtepi32_pd(_mm_shuffle_epi8(v, pick[k]));
                        let top = _mm256_add_pd(_mm256_mul_pd(ch(c00), gx), _mm256_mul_pd(ch(c10), fx));
                        let bottom = _mm256_add_pd(_mm256_mul_pd(ch(c01), gx), _mm256_mul_pd(ch(c11), fx));
                        let v = _mm256_add_pd(_mm256_mul_pd(top, gy), _mm256_mul_pd(bottom, fy));
                        let o = _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_sub_pd(v, means[k]), invs[k]));
                        _mm_storeu_ps(dst[k][i..i + 4].as_mut_ptr(), o);
                    }
                    i += 4;
                    continue;
                }
            }
            for j in i..i + 4 {
                scalar(j, &mut dst);
            }
            i += 4;
        }
        for j in i..n {
            scalar(j, &mut dst);
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
