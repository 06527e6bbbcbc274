//! AVX2 paste-back, four frame pixels at a time, giving the same bytes as `paste_pixel`:
//! every lane performs the scalar f64 operations in the scalar order.
//!
//! Where the time goes is moving bytes into f64 lanes, so the loads are arranged for it:
//! - per corner row, one 8-byte load per pixel brings both horizontal neighbours (two
//!   crop pixels, or two mask floats); pixels 0, 1 share the low 128-bit half and 2, 3 the
//!   high one, so one in-half `pshufb` puts a channel of a corner into four u64 lanes.
//! - a byte b in a u64 lane becomes the f64 b exactly as (2^52 | b) − 2^52, an OR and a
//!   subtraction instead of a shuffle and a conversion.
//! - the frame's 4 pixels are one 16-byte load and the result one 16-byte store, the
//!   bytes that must not change (alpha, the next pixel) blended back from the load.
//!
//! Quads entirely outside the crop (every lane fails `sample`'s first test, so the
//! scalar code would leave them alone) are skipped after the coordinate arithmetic;
//! quads with any lane near the crop's border, or too near the end of a buffer for the
//! wide loads, go through `paste_pixel`.

use super::Paste;
use crate::sample::Image;
use std::arch::x86_64::*;

/// The f64 2^52, and its bit pattern to OR a byte into.
const MAGIC: f64 = 4_503_599_627_370_496.0;
const MAGIC_BITS: i64 = 0x4330_0000_0000_0000;

/// `pshufb` mask taking, in each 128-bit half, byte `at[0]` into the low u64 lane and
/// byte `at[1]` into the high one, zero-extended.
const fn to_u64_lanes(at: [usize; 2]) -> [i8; 16] {
    let mut m = [-1i8; 16];
    m[0] = at[0] as i8;
    m[8] = at[1] as i8;
    m
}

/// Crop corner masks, [dx][channel]: each half holds two pixels' 8-byte loads.
const fn crop_masks() -> [[[i8; 16]; 3]; 2] {
    let mut m = [[[0i8; 16]; 3]; 2];
    let mut dx = 0;
    while dx < 2 {
        let mut k = 0;
        while k < 3 {
            m[dx][k] = to_u64_lanes([3 * dx + k, 8 + 3 * dx + k]);
            k += 1;
        }
        dx += 1;
    }
    m
}
const CROP_MASKS: [[[i8; 16]; 3]; 2] = crop_masks();

/// Frame masks per channel count: [channel][half], picking pixels 0, 1 (low half) or
/// 2, 3 (high half) from the quad's 16 bytes, loaded into both halves.
const fn frame_masks(ch: usize) -> [[[i8; 16]; 2]; 3] {
    let mut m = [[[0i8; 16]; 2]; 3];
    let mut k = 0;
    while k < 3 {
        m[k][0] = to_u64_lanes([k, ch + k]);
        m[k][1] = to_u64_lanes([2 * ch + k, 3 * ch + k]);
        k += 1;
    }
    m
}

/// Result bytes come packed channel-major, `[r0 r1 r2 r3 g0 … b3 …]`; this mask puts
/// them at pixel * ch + channel (other bytes: 0).
const fn store_mask(ch: usize) -> [i8; 16] {
    let mut m = [-1i8; 16];
    let mut p = 0;
    while p < 4 {
        let mut k = 0;
        while k < 3 {
            m[p * ch + k] = (k * 4 + p) as i8;
            k += 1;
        }
        p += 1;
    }
    m
}

/// Blend selector: high bit set on the 12 colour bytes of the quad.
const fn colour_bytes(ch: usize) -> [i8; 16] {
    let mut m = [0i8; 16];
    let mut p = 0;
    while p < 4 {
        let mut k = 0;
        while k < 3 {
            m[p * ch + k] = -1;
            k += 1;
        }
        p += 1;
    }
    m
}

#[inline]
#[target_feature(enable = "avx2")]
unsafe fn load16(m: &[i8; 16]) -> __m128i {
    _mm_loadu_si128(m.as_ptr() as *const __m128i)
}

/// Bytes in the low byte of each u64 lane (the rest zero) → those values as f64, exactly.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn u64_bytes_to_f64(v: __m256i) -> __m256d {
    let bits = _mm256_or_si256(v, _mm256_set1_epi64x(MAGIC_BITS));
    _mm256_sub_pd(_mm256_castsi256_pd(bits), _mm256_set1_pd(MAGIC))
}

/// Two 8-byte loads into one 128-bit register (low, high).
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn load_pair(p0: *const u8, p1: *const u8) -> __m128i {
    _mm_unpacklo_epi64(_mm_loadl_epi64(p0 as *const __m128i), _mm_loadl_epi64(p1 as *const __m128i))
}

#[target_feature(enable = "avx2")]
pub unsafe fn paste_run(row: &mut [u8], crop: &Image<u8>, mask: &Image<f32>, run: &Paste) {
    match run.channels {
        3 => paste_quads::<3>(row, crop, mask, run),
        _ => paste_quads::<4>(row, crop, mask, run),
    }
}

#[inline]
#[target_feature(enable = "avx2")]
unsafe fn paste_quads<const CH: usize>(row: &mut [u8], crop: &Image<u8>, mask: &Image<f32>, run: &Paste) {
    let [a, b, c, d, e, f] = run.m;
    let yf = run.y as f64;
    let (cw, chh) = (crop.width, crop.height);
    let line = cw * 3;
    // Crop offsets go through i32 lanes. The wide loads read 8 bytes from each crop
    // corner row, two floats from each mask corner row and 16 frame bytes: quads with a
    // crop index above `mi_max`, or too near the frame row's end, take the scalar path.
    let small = crop.data.len() < (i32::MAX as usize) - 64;
    let (crop_len, mask_len, row_len) = (crop.data.len(), mask.data.len(), row.len());
    let mi_max = if crop_len >= line + 8 && mask_len >= cw + 2 {
        ((crop_len - line - 8) / 3).min(mask_len - cw - 2) as f64
    } else {
        -1.0
    };
    let mi_max = _mm256_set1_pd(mi_max);

    let (va, vc, vd, vf) = (_mm256_set1_pd(a), _mm256_set1_pd(c), _mm256_set1_pd(d), _mm256_set1_pd(f));
    let (byf, eyf) = (_mm256_set1_pd(b * yf), _mm256_set1_pd(e * yf));
    let (zero, one, minus_one) = (_mm256_setzero_pd(), _mm256_set1_pd(1.0), _mm256_set1_pd(-1.0));
    let (wf, hf) = (_mm256_set1_pd(cw as f64), _mm256_set1_pd(chh as f64));
    let (w1, h1) = (_mm256_set1_pd(cw as f64 - 1.0), _mm256_set1_pd(chh as f64 - 1.0));
    let crop_m = CROP_MASKS.map(|dx| dx.map(|m| _mm256_broadcastsi128_si256(load16(&m))));
    let frame_m = frame_masks(CH).map(|k| _mm256_setr_m128i(load16(&k[0]), load16(&k[1])));
    let store_m = load16(&store_mask(CH));
    let colour = load16(&colour_bytes(CH));
    let (cbase, mbase) = (crop.data.as_ptr(), mask.data.as_ptr());

    let mut x = run.x0;
    // Integers, so stepping by 4 gives exactly x as f64.
    let x_start = x as f64;
    let mut xs_next = _mm256_setr_pd(x_start, x_start + 1.0, x_start + 2.0, x_start + 3.0);
    while small && x + 4 <= run.x1 && x * CH + 16 <= row_len {
        let xs = xs_next;
        xs_next = _mm256_add_pd(xs_next, _mm256_set1_pd(4.0));
        // The scalar order: (a*x + b*y) + c.
        let sx = _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(va, xs), byf), vc);
        let sy = _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(vd, xs), eyf), vf);
        let inside = _mm256_and_pd(
            _mm256_and_pd(_mm256_cmp_pd::<_CMP_GE_OQ>(sx, zero), _mm256_cmp_pd::<_CMP_GE_OQ>(sy, zero)),
            _mm256_and_pd(_mm256_cmp_pd::<_CMP_LT_OQ>(sx, w1), _mm256_cmp_pd::<_CMP_LT_OQ>(sy, h1)),
        );
        let x0 = _mm256_floor_pd(sx);
        let y0 = _mm256_floor_pd(sy);
        // Inside, x0 + 1 < cw and y0 + 1 < ch: the index is an exact integer below 2^31.
        let idx = _mm256_add_pd(_mm256_mul_pd(y0, wf), x0);
        let fast = _mm256_and_pd(inside, _mm256_cmp_pd::<_CMP_LE_OQ>(idx, mi_max));
        if _mm256_movemask_pd(fast) != 0xf {
            // `sample`'s first test: outside (-1, w) × (-1, h) every tap reads 0, k = 0,
            // and the pixel is left alone.
            let near = _mm256_and_pd(
                _mm256_and_pd(
                    _mm256_cmp_pd::<_CMP_GT_OQ>(sx, minus_one),
                    _mm256_cmp_pd::<_CMP_LT_OQ>(sx, wf),
                ),
                _mm256_and_pd(
                    _mm256_cmp_pd::<_CMP_GT_OQ>(sy, minus_one),
                    _mm256_cmp_pd::<_CMP_LT_OQ>(sy, hf),
                ),
            );
            if _mm256_movemask_pd(near) != 0 {
                for xx in x..x + 4 {
                    super::paste_pixel(row, xx, crop, mask, run);
                }
            }
            x += 4;
            continue;
        }
        let mut mi = [0i32; 4];
        _mm_storeu_si128(mi.as_mut_ptr() as *mut __m128i, _mm256_cvttpd_epi32(idx));
        let mi = mi.map(|i| i as usize);

        let fx = _mm256_sub_pd(sx, x0);
        let fy = _mm256_sub_pd(sy, y0);
        let (gx, gy) = (_mm256_sub_pd(one, fx), _mm256_sub_pd(one, fy));
        let lerp = |p00: __m256d, p10: __m256d, p01: __m256d, p11: __m256d| {
            let top = _mm256_add_pd(_mm256_mul_pd(p00, gx), _mm256_mul_pd(p10, fx));
            let bottom = _mm256_add_pd(_mm256_mul_pd(p01, gx), _mm256_mul_pd(p11, fx));
            _mm256_add_pd(_mm256_mul_pd(top, gy), _mm256_mul_pd(bottom, fy))
        };

        // Mask: per pixel the float pair (x0, x0+1) of a corner row. Loading pixels 0, 2
        // and 1, 3 together gives [q0 r0 q2 r2] and [q1 r1 q3 r3] as f64, which unpack
        // within halves into [q0 q1 q2 q3] (left corners) and [r0 r1 r2 r3] (right).
        let mpair = |o: usize| {
            let at = |p: usize| mbase.add(mi[p] + o) as *const u8;
            let even = _mm256_cvtps_pd(_mm_castsi128_ps(load_pair(at(0), at(2))));
            let odd = _mm256_cvtps_pd(_mm_castsi128_ps(load_pair(at(1), at(3))));
            (_mm256_unpacklo_pd(even, odd), _mm256_unpackhi_pd(even, odd))
        };
        let (m00, m10) = mpair(0);
        let (m01, m11) = mpair(cw);
        let k = lerp(m00, m10, m01, m11);
        let k = _mm256_blendv_pd(k, one, _mm256_cmp_pd::<_CMP_GT_OQ>(k, one));
        // Lanes not > 0 (NaN too) get k = 0: 0·c + 1·p = p writes the frame value back.
        let positive = _mm256_cmp_pd::<_CMP_GT_OQ>(k, zero);
        if _mm256_movemask_pd(positive) == 0 {
            x += 4;
            continue;
        }
        let k = _mm256_and_pd(k, positive);
        let nk = _mm256_sub_pd(one, k);

        // Crop: 8 bytes from each corner row start (two crop pixels' rgb), pixels 0, 1 in
        // the low half and 2, 3 in the high half.
        let crow = |o: usize| {
            let at = |p: usize| cbase.add(mi[p] * 3 + o);
            _mm256_setr_m128i(load_pair(at(0), at(1)), load_pair(at(2), at(3)))
        };
        let (top, bottom) = (crow(0), crow(line));
        let dst = row.as_mut_ptr().add(x * CH);
        let old = _mm_loadu_si128(dst as *const __m128i);
        let old2 = _mm256_broadcastsi128_si256(old);
        let mut t = [_mm_setzero_si128(); 3];
        for (ch, t) in t.iter_mut().enumerate() {
            let corner = |v: __m256i, dx: usize| u64_bytes_to_f64(_mm256_shuffle_epi8(v, crop_m[dx][ch]));
            let cv = lerp(corner(top, 0), corner(top, 1), corner(bottom, 0), corner(bottom, 1));
            let p = u64_bytes_to_f64(_mm256_shuffle_epi8(old2, frame_m[ch]));
            let v = _mm256_add_pd(_mm256_mul_pd(k, cv), _mm256_mul_pd(nk, p));
            // v is in [0, 255 + ε]: truncation gives what `trunc_u8` gives.
            *t = _mm256_cvttpd_epi32(v);
        }
        let packed = _mm_packus_epi16(_mm_packs_epi32(t[0], t[1]), _mm_packs_epi32(t[2], t[2]));
        let new = _mm_shuffle_epi8(packed, store_m);
        _mm_storeu_si128(dst as *mut __m128i, _mm_blendv_epi8(old, new, colour));
        x += 4;
    }
    for xx in x..run.x1 {
        super::paste_pixel(row, xx, crop, mask, run);
    }
}
