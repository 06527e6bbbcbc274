//! f64 → u8 conversions shared by the kernels; the TypeScript fallback matches them bit for bit.

/// 2^52: adding then subtracting it rounds any f64 in [0, 2^51] to an integer using the
/// FPU's default mode, round half to even, without needing SSE4.1's `roundsd`.
const ROUND_MAGIC: f64 = 4_503_599_627_370_496.0;

/// clamp(roundHalfEven(v), 0, 255); NaN → 0 (the same as a JS `Uint8ClampedArray` store).
#[inline(always)]
pub fn round_u8(v: f64) -> u8 {
    // Written as comparisons (not f64::max/min) so NaN falls to 0 and the compiler can
    // use plain maxsd/minsd.
    let c = if v > 0.0 { v } else { 0.0 };
    let c = if c < 255.0 { c } else { 255.0 };
    let r = (c + ROUND_MAGIC) - ROUND_MAGIC;
    // SAFETY: r is an integer in [0, 255], so the unchecked conversion is exact; it
    // vectorises (cvttpd2dq) where the saturating `as` cast does not.
    unsafe { r.to_int_unchecked::<i32>() as u8 }
}

/// `round_u8(x * scale + offset)` over a row, in a form the compiler vectorises.
#[inline(always)]
pub fn round_row(src: &[f32], scale: f64, offset: f64, dst: &mut [u8]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = round_u8(s as f64 * scale + offset);
    }
}

/// clamp(trunc(v), 0, 255); NaN → 0 (numpy's `astype(np.uint8)` on in-range values).
#[inline(always)]
pub fn trunc_u8(v: f64) -> u8 {
    v as u8
}

/// floor(v) for finite |v| < 2^62 without a libm call (baseline x86-64 has no SSE4.1
/// `roundsd`, so `f64::floor` is a function call: most of a per-pixel loop's time). NaN → 0;
/// callers that may see NaN keep it in `v - floor`, as `f64::floor` would.
#[inline(always)]
pub fn floor_i64(v: f64) -> i64 {
    let t = v as i64;
    if (t as f64) > v {
        t - 1
    } else {
        t
    }
}
