//! The functions exported to JavaScript: read and check arguments, then call a kernel.
//!
//! The calling convention is flat (numbers, booleans and typed arrays only, outputs
//! allocated by the caller) so nothing here creates JS objects. `src/native/addon.ts`
//! is the only caller and documents each signature.

use crate::args::{
    borrow_in2_out, borrow_in3_out, borrow_in_out, borrow_mesh_warp, expect_len, Args, Raw, Result,
};
use crate::convert::{self, Norm, TileRegion};
use crate::mesh_blend::PatchAt;
use crate::sample::Image;
use crate::{colour, f16, guided, mask, mesh_blend, mesh_warp, warp};

fn channels(args: &Args, i: usize, name: &str) -> Result<usize> {
    match args.size(i, name)? {
        c @ (3 | 4) => Ok(c),
        _ => Err(format!("{name} must be 3 or 4")),
    }
}

fn norm(args: &Args, i: usize, bgr_at: usize) -> Result<Norm> {
    let mean = args.nums::<3>(i, "norm.mean")?;
    let std = args.nums::<3>(i + 3, "norm.std")?;
    if std.contains(&0.0) {
        return Err("norm.std must not contain 0".into());
    }
    Ok(Norm { mean, std, bgr: args.flag(bgr_at, "norm.bgr")? })
}

/// (src u8, width, height, channels, mean×3, std×3, bgr, out f32)
pub fn hwc_to_nchw(args: &Args) -> Result<()> {
    let src = args.array::<u8>(0, "src")?;
    let (w, h) = (args.size(1, "width")?, args.size(2, "height")?);
    let ch = channels(args, 3, "channels")?;
    let norm = norm(args, 4, 10)?;
    let mut out = args.array::<f32>(11, "out")?;
    expect_len("src", src.len(), &[w, h, ch])?;
    expect_len("out", out.len(), &[w, h, 3])?;
    let (src, out) = borrow_in_out(&src, &mut out)?;
    convert::hwc_to_nchw(src, w, h, ch, &norm, out);
    Ok(())
}

/// (src f32, width, height, channels, scale, offset, bgr, out u8)
pub fn nchw_to_hwc(args: &Args) -> Result<()> {
    let src = args.array::<f32>(0, "src")?;
    let (w, h) = (args.size(1, "width")?, args.size(2, "height")?);
    let ch = channels(args, 3, "channels")?;
    let (scale, offset) = (args.num(4, "scale")?, args.num(5, "offset")?);
    let bgr = args.flag(6, "bgr")?;
    let mut out = args.array::<u8>(7, "out")?;
    expect_len("src", src.len(), &[w, h, 3])?;
    expect_len("out", out.len(), &[w, h, ch])?;
    let (src, out) = borrow_in_out(&src, &mut out)?;
    convert::nchw_to_hwc(src, w, h, ch, scale, offset, bgr, out);
    Ok(())
}

/// (src f32, out u16)
pub fn f32_to_f16(args: &Args) -> Result<()> {
    let src = args.array::<f32>(0, "src")?;
    let mut out = args.array::<u16>(1, "out")?;
    expect_len("out", out.len(), &[src.len()])?;
    let (src, out) = borrow_in_out(&src, &mut out)?;
    f16::f32_to_f16(src, out);
    Ok(())
}

/// (src u16, out f32)
pub fn f16_to_f32(args: &Args) -> Result<()> {
    let src = args.array::<u16>(0, "src")?;
    let mut out = args.array::<f32>(1, "out")?;
    expect_len("out", out.len(), &[src.len()])?;
    let (src, out) = borrow_in_out(&src, &mut out)?;
    f16::f16_to_f32(src, out);
    Ok(())
}

/// (src u8, width, height, channels, m×6, outW, outH, mean×3, std×3, bgr, out f32)
pub fn warp_affine_to_nchw(args: &Args) -> Result<()> {
    let src = args.array::<u8>(0, "src")?;
    let (w, h) = (args.size(1, "width")?, args.size(2, "height")?);
    let ch = channels(args, 3, "channels")?;
    let m = args.nums::<6>(4, "m")?;
    let (out_w, out_h) = (args.size(10, "outW")?, args.size(11, "outH")?);
    let norm = norm(args, 12, 18)?;
    let mut out = args.array::<f32>(19, "out")?;
    expect_len("src", src.len(), &[w, h, ch])?;
    expect_len("out", out.len(), &[out_w, out_h, 3])?;
    let (src, out) = borrow_in_out(&src, &mut out)?;
    let img = Image { data: src, width: w, height: h, stride: ch };
    warp::warp_affine_to_nchw(&img, &m, out_w, out_h, &norm, out);
    Ok(())
}

/// (frame u8, width, height, channels, crop u8, cropW, cropH, mask f32, m×6, x0, y0, x1, y1)
pub fn paste_back(args: &Args) -> Result<()> {
    let mut frame = args.array::<u8>(0, "frame")?;
    let (w, h) = (args.size(1, "width")?, args.size(2, "height")?);
    let ch = channels(args, 3, "channels")?;
    let crop = args.array::<u8>(4, "crop")?;
    let (cw, chh) = (args.size(5, "cropW")?, args.size(6, "cropH")?);
    let mask = args.array::<f32>(7, "mask")?;
    let m = args.nums::<6>(8, "m")?;
    let (x0, y0) = (args.size(14, "bbox")?, args.size(15, "bbox")?);
    let (x1, y1) = (args.size(16, "bbox")?.min(w), args.size(17, "bbox")?.min(h));
    expect_len("frame", frame.len(), &[w, h, ch])?;
    expect_len("crop", crop.len(), &[cw, chh, 3])?;
    expect_len("mask", mask.len(), &[cw, chh])?;
    if x0 >= x1 || y0 >= y1 {
        return Ok(());
    }
    let (crop, mask, frame) = borrow_in2_out(&crop, &mask, &mut frame)?;
    let crop = Image { data: crop, width: cw, height: chh, stride: 3 };
    let mask = Image { data: mask, width: cw, height: chh, stride: 1 };
    let bbox = warp::Bbox { x0, y0, x1, y1 };
    warp::paste_back(frame, w, ch, &crop, &mask, &m, &bbox);
    Ok(())
}

/// (tile f32, tileW, tileH, sx, sy, w, h, out u8, outW, outH, outChannels, dx, dy)
pub fn place_tile(args: &Args) -> Result<()> {
    let tile = args.array::<f32>(0, "tile")?;
    let (tw, th) = (args.size(1, "tileW")?, args.size(2, "tileH")?);
    let reg = TileRegion {
        sx: args.size(3, "sx")?,
        sy: args.size(4, "sy")?,
        w: args.size(5, "w")?,
        h: args.size(6, "h")?,
        dx: args.size(11, "dx")?,
        dy: args.size(12, "dy")?,
    };
    let mut out = args.array::<u8>(7, "out")?;
    let (ow, oh) = (args.size(8, "outW")?, args.size(9, "outH")?);
    let ch = channels(args, 10, "outChannels")?;
    expect_len("tile", tile.len(), &[tw, th, 3])?;
    expect_len("out", out.len(), &[ow, oh, ch])?;
    // Sizes are below 2^31, so these sums cannot overflow.
    if reg.sx + reg.w > tw || reg.sy + reg.h > th {
        return Err("the region does not fit in the tile".into());
    }
    if reg.dx + reg.w > ow || reg.dy + reg.h > oh {
        return Err("the region does not fit in the output".into());
    }
    let (tile, out) = borrow_in_out(&tile, &mut out)?;
    convert::place_tile(tile, tw, th, &reg, out, ow, ch);
    Ok(())
}

/// (mask f32, width, height, weights f64 (index = distance, 0..=radius), out f32)
pub fn gaussian_blur(args: &Args) -> Result<()> {
    let src = args.array::<f32>(0, "mask")?;
    let (w, h) = (args.size(1, "width")?, args.size(2, "height")?);
    let weights = args.array::<f64>(3, "weights")?;
    let mut out = args.array::<f32>(4, "out")?;
    expect_len("mask", src.len(), &[w, h])?;
    expect_len("out", out.len(), &[w, h])?;
    if weights.len() == 0 {
        return Err("weights must not be empty".into());
    }
    let (src, weights, out) = borrow_in2_out(&src, &weights, &mut out)?;
    if w > 0 && h > 0 {
        mask::gaussian_blur(src, w, h, weights, out);
    }
    Ok(())
}

/// (mask f32, width, height, radius, out f32)
pub fn erode(args: &Args) -> Result<()> {
    let src = args.array::<f32>(0, "mask")?;
    let (w, h) = (args.size(1, "width")?, args.size(2, "height")?);
    let radius = args.size(3, "radius")?;
    let mut out = args.array::<f32>(4, "out")?;
    expect_len("mask", src.len(), &[w, h])?;
    expect_len("out", out.len(), &[w, h])?;
    let (src, out) = borrow_in_out(&src, &mut out)?;
    if w > 0 && h > 0 {
        mask::erode(src, w, h, radius, out);
    }
    Ok(())
}

/// (guide f32, src f32, width, height, radius, eps, out f32)
pub fn guided_filter(args: &Args) -> Result<()> {
    let guide = args.array::<f32>(0, "guide")?;
    let src = args.array::<f32>(1, "src")?;
    let (w, h) = (args.size(2, "width")?, args.size(3, "height")?);
    let radius = args.size(4, "radius")?;
    let eps = args.num(5, "eps")?;
    let mut out = args.array::<f32>(6, "out")?;
    expect_len("guide", guide.len(), &[w, h])?;
    expect_len("src", src.len(), &[w, h])?;
    expect_len("out", out.len(), &[w, h])?;
    if !eps.is_finite() || eps <= 0.0 {
        return Err("eps must be a finite number > 0".into());
    }
    let (guide, src, out) = borrow_in2_out(&guide, &src, &mut out)?;
    if w > 0 && h > 0 {
        guided::guided_filter(guide, src, w, h, radius, eps, out);
    }
    Ok(())
}

/// (src u8, width, height, channels, srcPts f32, dstPts f32, triangles u16, x0, y0, outW, outH, rgb f32, covered u8)
pub fn warp_triangles(args: &Args) -> Result<()> {
    let src = args.array::<u8>(0, "src")?;
    let (sw, sh) = (args.size(1, "width")?, args.size(2, "height")?);
    let sc = channels(args, 3, "channels")?;
    let src_pts = args.array::<f32>(4, "srcPts")?;
    let dst_pts = args.array::<f32>(5, "dstPts")?;
    let tris = args.array::<u16>(6, "triangles")?;
    let patch = mesh_warp::Patch {
        x0: args.num(7, "x0")?,
        y0: args.num(8, "y0")?,
        w: args.size(9, "outW")?,
        h: args.size(10, "outH")?,
    };
    let mut rgb = args.array::<f32>(11, "rgb")?;
    let mut covered = args.array::<u8>(12, "covered")?;
    expect_len("src", src.len(), &[sw, sh, sc])?;
    expect_len("rgb", rgb.len(), &[patch.w, patch.h, 3])?;
    expect_len("covered", covered.len(), &[patch.w, patch.h])?;
    if src_pts.len() != dst_pts.len() || src_pts.len() % 3 != 0 {
        return Err("srcPts and dstPts must hold the same number of x, y, z triples".into());
    }
    if tris.len() % 3 != 0 {
        return Err("triangles must hold index triples".into());
    }
    if sw == 0 || sh == 0 {
        return Err("the source image is empty".into());
    }
    let n = src_pts.len() / 3;
    let (src, src_pts, dst_pts, tris, rgb, covered) =
        borrow_mesh_warp(&src, &src_pts, &dst_pts, &tris, &mut rgb, &mut covered)?;
    if tris.iter().any(|&i| i as usize >= n) {
        return Err(format!("a triangle index is out of range (points: {n})"));
    }
    mesh_warp::warp_triangles(src, sw, sh, sc, src_pts, dst_pts, tris, &patch, rgb, covered);
    Ok(())
}

/// The frame, patch and per-pixel arrays `transferColour` and `blendPatch` share:
/// (frame u8, width, height, channels, x0, y0, outW, outH, rgb f32, mask f32, covered u8).
struct PatchArgs {
    frame: Raw<u8>,
    at: PatchAt,
    rgb: Raw<f32>,
    mask: Raw<f32>,
    covered: Raw<u8>,
}

fn patch_args(args: &Args) -> Result<PatchArgs> {
    let frame = args.array::<u8>(0, "frame")?;
    let (fw, fh) = (args.size(1, "width")?, args.size(2, "height")?);
    let ch = channels(args, 3, "channels")?;
    let (x0, y0) = (args.size(4, "x0")?, args.size(5, "y0")?);
    let (w, h) = (args.size(6, "outW")?, args.size(7, "outH")?);
    let rgb = args.array::<f32>(8, "rgb")?;
    let mask = args.array::<f32>(9, "mask")?;
    let covered = args.array::<u8>(10, "covered")?;
    expect_len("frame", frame.len(), &[fw, fh, ch])?;
    expect_len("rgb", rgb.len(), &[w, h, 3])?;
    expect_len("mask", mask.len(), &[w, h])?;
    expect_len("covered", covered.len(), &[w, h])?;
    if x0 + w > fw || y0 + h > fh {
        return Err("the patch does not fit in the frame".into());
    }
    Ok(PatchArgs { frame, at: PatchAt { fw, ch, x0, y0, w, h }, rgb, mask, covered })
}

/// (frame u8, width, height, channels, x0, y0, outW, outH, rgb f32 (in place), mask f32, covered u8)
pub fn transfer_colour(args: &Args) -> Result<()> {
    let mut p = patch_args(args)?;
    let (frame, mask, covered, rgb) = borrow_in3_out(&p.frame, &p.mask, &p.covered, &mut p.rgb)?;
    colour::transfer_colour(frame, &p.at, rgb, mask, covered);
    Ok(())
}

/// (frame u8 (in place), width, height, channels, x0, y0, outW, outH, rgb f32, mask f32, covered u8)
pub fn blend_patch(args: &Args) -> Result<()> {
    let mut p = patch_args(args)?;
    let (rgb, mask, covered, frame) = borrow_in3_out(&p.rgb, &p.mask, &p.covered, &mut p.frame)?;
    mesh_blend::blend_patch(frame, &p.at, rgb, mask, covered);
    Ok(())
}
