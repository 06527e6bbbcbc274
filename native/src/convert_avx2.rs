//! AVX2 version of `from_planes` (f32 planes → interleaved u8), sixteen pixels at a time.
//!
//! Each float goes through the scalar `round_u8` steps as one f64 lane: widen, `* scale`,
//! `+ offset`, then `maxpd(v, 0)` (NaN → 0, like `v > 0 ? v : 0`) and `minpd(c, 255)`.
//! `cvtpd2dq` then rounds with the MXCSR mode, round half to even, which is what the
//! scalar 2^52 trick does too; so every byte is identical to the scalar result.
//! The three rounded rows are interleaved with byte shuffles instead of byte stores.

use std::arch::x86_64::*;

/// Pixels per step: three 16-byte rows, interleaved into 48 (or 64) output bytes.
const STEP: usize = 16;

/// `pshufb` masks placing byte `p` of channel `c`'s row at byte `3p + c` of the
/// 48-byte RGB output, one mask per 16-byte output block and channel; -1 clears.
const fn rgb_masks() -> [[[i8; 16]; 3]; 3] {
    let mut m = [[[-1i8; 16]; 3]; 3];
    let mut j = 0;
    while j < 48 {
        m[j / 16][j % 3][j % 16] = (j / 3) as i8;
        j += 1;
    }
    m
}
const RGB_MASKS: [[[i8; 16]; 3]; 3] = rgb_masks();

/// Four floats at `p` → `round_u8(x * scale + offset)` as four i32 lanes.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn quad(p: *const f32, scale: __m256d, offset: __m256d) -> __m128i {
    let v = _mm256_cvtps_pd(_mm_loadu_ps(p));
    let v = _mm256_add_pd(_mm256_mul_pd(v, scale), offset);
    // Operand order matters: maxpd/minpd return the second operand when either is NaN.
    let v = _mm256_min_pd(_mm256_max_pd(v, _mm256_setzero_pd()), _mm256_set1_pd(255.0));
    _mm256_cvtpd_epi32(v)
}

/// Sixteen floats at `p` → sixteen rounded bytes (all in 0..=255, so the signed packs
/// do not saturate).
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn row16(p: *const f32, scale: __m256d, offset: __m256d) -> __m128i {
    let lo = _mm_packs_epi32(quad(p, scale, offset), quad(p.add(4), scale, offset));
    let hi = _mm_packs_epi32(quad(p.add(8), scale, offset), quad(p.add(12), scale, offset));
    _mm_packus_epi16(lo, hi)
}

/// Same contract as `super::from_planes`: `r`, `g`, `b` have equal lengths and `out`
/// holds at least `r.len() * CH` bytes.
#[target_feature(enable = "avx2")]
pub unsafe fn from_planes<const CH: usize>(
    r: &[f32],
    g: &[f32],
    b: &[f32],
    scale: f64,
    offset: f64,
    alpha: Option<u8>,
    out: &mut [u8],
) {
    let n = r.len().min(g.len()).min(b.len()).min(out.len() / CH);
    let (vs, vo) = (_mm256_set1_pd(scale), _mm256_set1_pd(offset));
    let masks = RGB_MASKS.map(|block| block.map(|m| _mm_loadu_si128(m.as_ptr() as *const __m128i)));
    // With an alpha value, byte 3 of each pixel is set; without, it is kept from `out`.
    let alpha_bytes = _mm_set1_epi32(i32::from_le_bytes([0, 0, 0, alpha.unwrap_or(0)]));
    let keep = _mm_set1_epi32(if alpha.is_some() { 0 } else { i32::from_le_bytes([0, 0, 0, 0xff]) });
    let mut i = 0;
    while i + STEP <= n {
        let rr = row16(r.as_ptr().add(i), vs, vo);
        let gg = row16(g.as_ptr().add(i), vs, vo);
        let bb = row16(b.as_ptr().add(i), vs, vo);
        let dst = out.as_mut_ptr().add(i * CH) as *mut __m128i;
        if CH == 3 {
            for (k, m) in masks.iter().enumerate() {
                let v = _mm_or_si128(
                    _mm_or_si128(_mm_shuffle_epi8(rr, m[0]), _mm_shuffle_epi8(gg, m[1])),
                    _mm_shuffle_epi8(bb, m[2]),
                );
                _mm_storeu_si128(dst.add(k), v);
            }
        } else {
            // r g | b 0 byte pairs, then pairs of pairs: four pixels per 16 bytes.
            let (rg_lo, rg_hi) = (_mm_unpacklo_epi8(rr, gg), _mm_unpackhi_epi8(rr, gg));
            let zero = _mm_setzero_si128();
            let (b_lo, b_hi) = (_mm_unpacklo_epi8(bb, zero), _mm_unpackhi_epi8(bb, zero));
            let px = [
                _mm_unpacklo_epi16(rg_lo, b_lo),
                _mm_unpackhi_epi16(rg_lo, b_lo),
                _mm_unpacklo_epi16(rg_hi, b_hi),
                _mm_unpackhi_epi16(rg_hi, b_hi),
            ];
            for (k, &v) in px.iter().enumerate() {
                let old = _mm_and_si128(_mm_loadu_si128(dst.add(k)), keep);
                _mm_storeu_si128(dst.add(k), _mm_or_si128(_mm_or_si128(v, alpha_bytes), old));
            }
        }
        i += STEP;
    }
    super::from_planes::<CH>(&r[i..n], &g[i..n], &b[i..n], scale, offset, alpha, &mut out[i * CH..n * CH]);
}
