//! Runtime CPU-feature dispatch. The addon is built for baseline x86-64 (it must run
//! wherever the package is installed), and the hottest loops are compiled a second
//! time with AVX2 enabled and chosen at run time. Results are identical either way:
//! only IEEE-exact operations are used, and FMA contraction is never enabled.
//! `BACKSERV_NATIVE_SIMD=0` forces the baseline code (the tests use it to check both).

#[cfg(target_arch = "x86_64")]
pub fn avx2() -> bool {
    use std::sync::OnceLock;
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        std::env::var("BACKSERV_NATIVE_SIMD").map_or(true, |v| v != "0")
            && std::is_x86_feature_detected!("avx2")
    })
}

#[cfg(not(target_arch = "x86_64"))]
pub fn avx2() -> bool {
    false
}

/// Define `$name` that runs the `#[inline(always)]` function `$body` compiled with AVX2
/// when the CPU has it, and as baseline code otherwise.
macro_rules! multiversion {
    ($(#[$meta:meta])* $vis:vis fn $name:ident $(<const $c:ident: usize>)? ($($arg:ident: $ty:ty),* $(,)?) => $body:ident) => {
        $(#[$meta])*
        $vis fn $name$(<const $c: usize>)?($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                unsafe fn with_avx2$(<const $c: usize>)?($($arg: $ty),*) {
                    $body$(::<$c>)?($($arg),*)
                }
                if $crate::simd::avx2() {
                    // SAFETY: the CPU supports AVX2 (checked at run time).
                    return unsafe { with_avx2$(::<$c>)?($($arg),*) };
                }
            }
            $body$(::<$c>)?($($arg),*)
        }
    };
}
pub(crate) use multiversion;
