//! AVX2 version of the warp: four pixels at a time, corner pixels loaded as 4-byte words
//! and each channel interpolated as one 4-lane f64 vector. Every lane performs the same
//! IEEE operations in the same order as the scalar code (`Image::sample`), so the results
//! are identical; pixels near the border, and tiny images, take the scalar path.

use super::Row;
use crate::sample::Image;
use std::arch::x86_64::*;

#[target_feature(enable = "avx2")]
pub unsafe fn warp_run(src: &Image<u8>, row: &Row, mean: &[f64; 3], inv: &[f64; 3], dst: [&mut [f32]; 3]) {
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
    // (Tiny images, where even the first pixel's words would overrun, stay scalar.)
    let fits_i32 = data.len() < (i32::MAX as usize) - 64 && data.len() >= line + stride + 4;
    let limit = _mm_set1_epi32(data.len().saturating_sub(line + stride + 4) as i32);
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
