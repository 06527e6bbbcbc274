//! Safe access to a callback's arguments: numbers, sizes, booleans and typed arrays.
//!
//! Every check that keeps the kernels memory-safe happens here or in `exports.rs`:
//! the element type of each typed array, and that a written array overlaps no other
//! array of the same call (Rust must never hold `&mut [T]` aliasing `&[U]`). The
//! TypeScript wrapper validates first and gives friendlier messages; these checks
//! are the backstop if the `.node` file is called directly.

use crate::ffi::*;
use std::ffi::CString;
use std::marker::PhantomData;
use std::ptr::null_mut;

pub type Result<T> = std::result::Result<T, String>;

/// The most arguments any export takes.
const MAX_ARGS: usize = 24;
/// Sizes are limited to int32 so products of two or three of them fit in usize.
const MAX_SIZE: f64 = 2_147_483_647.0;

pub struct Args {
    env: napi_env,
    argv: [napi_value; MAX_ARGS],
    argc: usize,
}

impl Args {
    /// # Safety
    /// `env` and `info` must be the ones Node passed to the running callback.
    pub unsafe fn new(env: napi_env, info: napi_callback_info) -> Result<Args> {
        let mut argv = [null_mut(); MAX_ARGS];
        let mut argc = MAX_ARGS;
        let status = napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), null_mut(), null_mut());
        if status != NAPI_OK {
            return Err("could not read the arguments".into());
        }
        Ok(Args { env, argv, argc: argc.min(MAX_ARGS) })
    }

    fn get(&self, i: usize, name: &str) -> Result<napi_value> {
        if i < self.argc {
            Ok(self.argv[i])
        } else {
            Err(format!("{name}: missing argument"))
        }
    }

    /// A finite number.
    pub fn num(&self, i: usize, name: &str) -> Result<f64> {
        let v = self.get(i, name)?;
        let mut out = 0.0;
        // SAFETY: `v` is a live handle of this callback scope.
        let status = unsafe { napi_get_value_double(self.env, v, &mut out) };
        if status != NAPI_OK || !out.is_finite() {
            return Err(format!("{name} must be a finite number"));
        }
        Ok(out)
    }

    /// `n` consecutive finite numbers starting at argument `i`.
    pub fn nums<const N: usize>(&self, i: usize, name: &str) -> Result<[f64; N]> {
        let mut out = [0.0; N];
        for (k, slot) in out.iter_mut().enumerate() {
            *slot = self.num(i + k, name)?;
        }
        Ok(out)
    }

    /// A non-negative integer that fits in int32.
    pub fn size(&self, i: usize, name: &str) -> Result<usize> {
        let v = self.num(i, name)?;
        if !(0.0..=MAX_SIZE).contains(&v) || v.fract() != 0.0 {
            return Err(format!("{name} must be a non-negative integer below 2^31"));
        }
        Ok(v as usize)
    }

    pub fn flag(&self, i: usize, name: &str) -> Result<bool> {
        let v = self.get(i, name)?;
        let mut out = false;
        // SAFETY: `v` is a live handle of this callback scope.
        let status = unsafe { napi_get_value_bool(self.env, v, &mut out) };
        if status != NAPI_OK {
            return Err(format!("{name} must be a boolean"));
        }
        Ok(out)
    }

    /// A typed array whose element type is `T`; nothing is borrowed yet.
    pub fn array<T: Elem>(&self, i: usize, name: &str) -> Result<Raw<T>> {
        let v = self.get(i, name)?;
        let mut is_ta = false;
        let mut kind = -1;
        let mut len = 0usize;
        let mut data: *mut std::os::raw::c_void = null_mut();
        // SAFETY: `v` is a live handle; the out-pointers are valid locals.
        let ok = unsafe {
            napi_is_typedarray(self.env, v, &mut is_ta) == NAPI_OK
                && is_ta
                && napi_get_typedarray_info(
                    self.env,
                    v,
                    &mut kind,
                    &mut len,
                    &mut data,
                    null_mut(),
                    null_mut(),
                ) == NAPI_OK
        };
        if !ok || kind != T::KIND {
            return Err(format!("{name} must be a {}", T::NAME));
        }
        if len > 0 && data.is_null() {
            return Err(format!("{name} has a detached buffer"));
        }
        Ok(Raw { ptr: data as *mut T, len, _t: PhantomData })
    }

    pub fn throw(&self, msg: &str) {
        throw_type_error(self.env, msg);
    }
}

pub fn throw_type_error(env: napi_env, msg: &str) {
    let msg = CString::new(msg.replace('\0', " ")).unwrap_or_default();
    let code = c"ERR_INVALID_ARG_TYPE";
    // SAFETY: both strings are NUL-terminated and outlive the call.
    unsafe {
        napi_throw_type_error(env, code.as_ptr(), msg.as_ptr());
    }
}

/// Element types a kernel may receive, with their Node-API typed-array kind.
pub trait Elem: Copy {
    const KIND: i32;
    const NAME: &'static str;
}
impl Elem for u8 {
    const KIND: i32 = NAPI_UINT8_ARRAY;
    const NAME: &'static str = "Uint8Array";
}
impl Elem for u16 {
    const KIND: i32 = NAPI_UINT16_ARRAY;
    const NAME: &'static str = "Uint16Array";
}
impl Elem for f32 {
    const KIND: i32 = NAPI_FLOAT32_ARRAY;
    const NAME: &'static str = "Float32Array";
}
impl Elem for f64 {
    const KIND: i32 = NAPI_FLOAT64_ARRAY;
    const NAME: &'static str = "Float64Array";
}

/// A typed array's memory, not yet borrowed.
pub struct Raw<T> {
    ptr: *mut T,
    len: usize,
    _t: PhantomData<T>,
}

impl<T> Raw<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    fn span(&self) -> (usize, usize) {
        let start = self.ptr as usize;
        (start, start + self.len * std::mem::size_of::<T>())
    }

    fn overlaps<U>(&self, other: &Raw<U>) -> bool {
        let (a0, a1) = self.span();
        let (b0, b1) = other.span();
        a0 < a1 && b0 < b1 && a0 < b1 && b0 < a1
    }

    /// # Safety
    /// No `&mut` borrow of overlapping memory may exist for the returned lifetime.
    unsafe fn as_slice<'a>(&self) -> &'a [T] {
        if self.len == 0 {
            &[]
        } else {
            std::slice::from_raw_parts(self.ptr, self.len)
        }
    }

    /// # Safety
    /// No other borrow of overlapping memory may exist for the returned lifetime.
    unsafe fn as_mut_slice<'a>(&mut self) -> &'a mut [T] {
        if self.len == 0 {
            &mut []
        } else {
            std::slice::from_raw_parts_mut(self.ptr, self.len)
        }
    }
}

/// Borrow one input and one output, which must not overlap.
pub fn borrow_in_out<'a, A, B>(input: &'a Raw<A>, output: &'a mut Raw<B>) -> Result<(&'a [A], &'a mut [B])> {
    if output.overlaps(input) {
        return Err("the output array must not share memory with an input".into());
    }
    // SAFETY: the memory is disjoint, both stay alive for the callback, and JS cannot
    // run (and so cannot touch them) until the callback returns.
    unsafe { Ok((input.as_slice(), output.as_mut_slice())) }
}

/// Borrow two inputs (which may overlap each other) and one output that overlaps neither.
pub fn borrow_in2_out<'a, A, B, C>(
    a: &'a Raw<A>,
    b: &'a Raw<B>,
    output: &'a mut Raw<C>,
) -> Result<(&'a [A], &'a [B], &'a mut [C])> {
    if output.overlaps(a) || output.overlaps(b) {
        return Err("the output array must not share memory with an input".into());
    }
    // SAFETY: as in `borrow_in_out`; shared borrows may alias each other.
    unsafe { Ok((a.as_slice(), b.as_slice(), output.as_mut_slice())) }
}

/// Three shared borrows and one exclusive one.
pub type In3Out<'a, A, B, C, D> = (&'a [A], &'a [B], &'a [C], &'a mut [D]);

/// Borrow three inputs (which may overlap each other) and one output that overlaps none of them.
pub fn borrow_in3_out<'a, A, B, C, D>(
    a: &'a Raw<A>,
    b: &'a Raw<B>,
    c: &'a Raw<C>,
    output: &'a mut Raw<D>,
) -> Result<In3Out<'a, A, B, C, D>> {
    if output.overlaps(a) || output.overlaps(b) || output.overlaps(c) {
        return Err("the output array must not share memory with an input".into());
    }
    // SAFETY: as in `borrow_in_out`; shared borrows may alias each other.
    unsafe { Ok((a.as_slice(), b.as_slice(), c.as_slice(), output.as_mut_slice())) }
}

/// The read-only arrays and the two outputs of `warpTriangles`.
pub type MeshWarpBorrow<'a> = (&'a [u8], &'a [f32], &'a [f32], &'a [u16], &'a mut [f32], &'a mut [u8]);

/// Borrow four inputs (which may overlap each other) and two outputs that overlap nothing.
pub fn borrow_mesh_warp<'a>(
    src: &'a Raw<u8>,
    src_pts: &'a Raw<f32>,
    dst_pts: &'a Raw<f32>,
    tris: &'a Raw<u16>,
    rgb: &'a mut Raw<f32>,
    covered: &'a mut Raw<u8>,
) -> Result<MeshWarpBorrow<'a>> {
    let hits =
        |o: &Raw<f32>| o.overlaps(src) || o.overlaps(src_pts) || o.overlaps(dst_pts) || o.overlaps(tris);
    let hits8 =
        |o: &Raw<u8>| o.overlaps(src) || o.overlaps(src_pts) || o.overlaps(dst_pts) || o.overlaps(tris);
    if hits(rgb) || hits8(covered) || rgb.overlaps(covered) {
        return Err("the output arrays must not share memory with an input or each other".into());
    }
    // SAFETY: as in `borrow_in_out`; shared borrows may alias each other, the outputs alias nothing.
    unsafe {
        Ok((
            src.as_slice(),
            src_pts.as_slice(),
            dst_pts.as_slice(),
            tris.as_slice(),
            rgb.as_mut_slice(),
            covered.as_mut_slice(),
        ))
    }
}

/// Check `len == expected`, computing the expectation without overflow.
pub fn expect_len(name: &str, len: usize, dims: &[usize]) -> Result<()> {
    let expected = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    match expected {
        Some(e) if e == len => Ok(()),
        Some(e) => Err(format!("{name} has length {len}, expected {e}")),
        None => Err(format!("{name}: sizes overflow")),
    }
}
