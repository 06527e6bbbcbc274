//! Back.Serv's hot CPU kernels as a Node-API addon with no dependencies.
//!
//! `ffi` declares the Node-API functions, `args` turns callback arguments into checked
//! slices, `exports` glues the two to the kernels (`convert`, `f16`, `warp`, `mask`).
//! The TypeScript fallback in `src/native/` computes the same results bit for bit.

mod args;
mod colour;
mod convert;
mod exports;
mod f16;
mod ffi;
mod guided;
mod mask;
mod mesh_blend;
mod mesh_warp;
mod parallel;
mod round;
mod sample;
mod simd;
mod warp;

use args::{throw_type_error, Args};
use ffi::*;
use std::os::raw::c_char;
use std::ptr::null_mut;

type Export = fn(&Args) -> args::Result<()>;

/// Run an export; an error becomes a JS TypeError. Always returns `undefined`.
///
/// # Safety
/// Must only be called with the `env`/`info` of the callback being run.
unsafe fn call(env: napi_env, info: napi_callback_info, f: Export) -> napi_value {
    match Args::new(env, info) {
        Ok(args) => {
            if let Err(msg) = f(&args) {
                args.throw(&msg);
            }
        }
        Err(msg) => throw_type_error(env, &msg),
    }
    null_mut()
}

macro_rules! callbacks {
    ($($js:literal => $name:ident),* $(,)?) => {
        $(
            unsafe extern "C" fn $name(env: napi_env, info: napi_callback_info) -> napi_value {
                call(env, info, exports::$name)
            }
        )*
        const EXPORTS: &[(&str, unsafe extern "C" fn(napi_env, napi_callback_info) -> napi_value)] =
            &[$(($js, $name)),*];
    };
}

callbacks! {
    "hwcToNchw\0" => hwc_to_nchw,
    "nchwToHwc\0" => nchw_to_hwc,
    "f32ToF16\0" => f32_to_f16,
    "f16ToF32\0" => f16_to_f32,
    "warpAffineToNchw\0" => warp_affine_to_nchw,
    "pasteBack\0" => paste_back,
    "placeTile\0" => place_tile,
    "gaussianBlur\0" => gaussian_blur,
    "erode\0" => erode,
    "guidedFilter\0" => guided_filter,
    "warpTriangles\0" => warp_triangles,
    "transferColour\0" => transfer_colour,
    "blendPatch\0" => blend_patch,
}

/// Node calls this once per environment (main thread and each worker) that loads the addon.
///
/// # Safety
/// Called by Node with a valid `env` and `exports` object.
#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(env: napi_env, exports: napi_value) -> napi_value {
    for &(name, cb) in EXPORTS {
        let cname = name.as_ptr() as *const c_char;
        let mut func = null_mut();
        if napi_create_function(env, cname, name.len() - 1, Some(cb), null_mut(), &mut func) != NAPI_OK
            || napi_set_named_property(env, exports, cname, func) != NAPI_OK
        {
            throw_type_error(env, "backserv_native: could not register its functions");
            return null_mut();
        }
    }
    exports
}
