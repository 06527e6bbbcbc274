//! Layout conversions between u8 HWC images and f32 NCHW tensors, and tile placement.

use crate::parallel::{row_ranges, run, split_rows};
use crate::round::round_row;

/// Per-channel normalisation, indexed by colour channel (R, G, B).
#[derive(Clone, Copy)]
pub struct Norm {
    pub mean: [f64; 3],
    pub std: [f64; 3],
    pub bgr: bool,
}

impl Norm {
    /// (pixel - mean) / std in f64, rounded once to f32, for every u8 value.
    fn luts(&self) -> [[f32; 256]; 3] {
        let mut luts = [[0f32; 256]; 3];
        for (c, lut) in luts.iter_mut().enumerate() {
            for (p, slot) in lut.iter_mut().enumerate() {
                *slot = ((p as f64 - self.mean[c]) / self.std[c]) as f32;
            }
        }
        luts
    }
}

/// Split an NCHW [1,3,H,W] tensor into its planes, each reordered as colour channels R, G, B.
fn planes_mut<'a>(out: &'a mut [f32], plane_len: usize, norm: &Norm) -> [&'a mut [f32]; 3] {
    let (p0, rest) = out.split_at_mut(plane_len);
    let (p1, p2) = rest.split_at_mut(plane_len);
    if norm.bgr {
        [p2, p1, p0]
    } else {
        [p0, p1, p2]
    }
}

pub fn hwc_to_nchw(src: &[u8], width: usize, height: usize, channels: usize, norm: &Norm, out: &mut [f32]) {
    let luts = norm.luts();
    let ranges = row_ranges(height, width * 3);
    let [r, g, b] = planes_mut(out, width * height, norm);
    let jobs: Vec<_> = ranges
        .iter()
        .cloned()
        .zip(split_rows(r, width, &ranges))
        .zip(split_rows(g, width, &ranges))
        .zip(split_rows(b, width, &ranges))
        .map(|(((rows, r), g), b)| (rows, r, g, b))
        .collect();
    let row_bytes = width * channels;
    run(jobs, |(rows, r, g, b)| {
        let src = &src[rows.start * row_bytes..rows.end * row_bytes];
        let [lr, lg, lb] = &luts;
        match channels {
            3 => to_planes::<3>(src, lr, lg, lb, r, g, b),
            _ => to_planes::<4>(src, lr, lg, lb, r, g, b),
        }
    });
}

#[inline(always)]
fn to_planes<const CH: usize>(
    src: &[u8],
    lr: &[f32; 256],
    lg: &[f32; 256],
    lb: &[f32; 256],
    r: &mut [f32],
    g: &mut [f32],
    b: &mut [f32],
) {
    for (((px, r), g), b) in src.chunks_exact(CH).zip(r).zip(g).zip(b) {
        *r = lr[px[0] as usize];
        *g = lg[px[1] as usize];
        *b = lb[px[2] as usize];
    }
}

/// Planes of an NCHW tensor as colour channels R, G, B (`bgr`: stored B, G, R).
fn planes(src: &[f32], plane_len: usize, bgr: bool) -> [&[f32]; 3] {
    let p = [&src[..plane_len], &src[plane_len..2 * plane_len], &src[2 * plane_len..3 * plane_len]];
    if bgr {
        [p[2], p[1], p[0]]
    } else {
        p
    }
}

#[allow(clippy::too_many_arguments)]
pub fn nchw_to_hwc(
    src: &[f32],
    width: usize,
    height: usize,
    channels: usize,
    scale: f64,
    offset: f64,
    bgr: bool,
    out: &mut [u8],
) {
    let [r, g, b] = planes(src, width * height, bgr);
    let ranges = row_ranges(height, width * 3);
    let jobs: Vec<_> = ranges.iter().cloned().zip(split_rows(out, width * channels, &ranges)).collect();
    run(jobs, |(rows, out)| {
        let span = rows.start * width..rows.end * width;
        let (r, g, b) = (&r[span.clone()], &g[span.clone()], &b[span]);
        match channels {
            3 => from_planes_mv::<3>(r, g, b, scale, offset, Some(255), out),
            _ => from_planes_mv::<4>(r, g, b, scale, offset, Some(255), out),
        }
    });
}

/// Pixels converted per block: three u8 rows of this length stay in L1.
const BLOCK: usize = 512;

fn from_planes_mv<const CH: usize>(
    r: &[f32],
    g: &[f32],
    b: &[f32],
    scale: f64,
    offset: f64,
    alpha: Option<u8>,
    out: &mut [u8],
) {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::avx2() {
        // SAFETY: the CPU supports AVX2 (checked at run time).
        return unsafe { avx2::from_planes::<CH>(r, g, b, scale, offset, alpha, out) };
    }
    from_planes::<CH>(r, g, b, scale, offset, alpha, out)
}

#[cfg(target_arch = "x86_64")]
#[path = "convert_avx2.rs"]
mod avx2;

/// Round each plane's row into a small u8 buffer (vectorised), then interleave; with 4
/// channels, alpha is set to `alpha` or, if None, left as it is.
#[inline(always)]
fn from_planes<const CH: usize>(
    r: &[f32],
    g: &[f32],
    b: &[f32],
    scale: f64,
    offset: f64,
    alpha: Option<u8>,
    out: &mut [u8],
) {
    let mut buf = [[0u8; BLOCK]; 3];
    let blocks = r.chunks(BLOCK).zip(g.chunks(BLOCK)).zip(b.chunks(BLOCK)).zip(out.chunks_mut(BLOCK * CH));
    for (((r, g), b), out) in blocks {
        let n = r.len();
        let [br, bg, bb] = &mut buf;
        round_row(r, scale, offset, &mut br[..n]);
        round_row(g, scale, offset, &mut bg[..n]);
        round_row(b, scale, offset, &mut bb[..n]);
        for (((px, &r), &g), &b) in out.chunks_exact_mut(CH).zip(&br[..n]).zip(&bg[..n]).zip(&bb[..n]) {
            px[0] = r;
            px[1] = g;
            px[2] = b;
            if let (4, Some(a)) = (CH, alpha) {
                px[3] = a;
            }
        }
    }
}

/// Where a tile's region goes: (sx, sy, w, h) of the tile to (dx, dy) of the output.
pub struct TileRegion {
    pub sx: usize,
    pub sy: usize,
    pub w: usize,
    pub h: usize,
    pub dx: usize,
    pub dy: usize,
}

/// Bounds are checked by the caller: sx+w ≤ tile_w, sy+h ≤ tile_h, dx+w ≤ out_w, dy+h ≤ out_h.
pub fn place_tile(
    tile: &[f32],
    tile_w: usize,
    tile_h: usize,
    reg: &TileRegion,
    out: &mut [u8],
    out_w: usize,
    ch: usize,
) {
    let [r, g, b] = planes(tile, tile_w * tile_h, false);
    let ranges = row_ranges(reg.h, reg.w * 3);
    let row_len = out_w * ch;
    let region = &mut out[reg.dy * row_len..(reg.dy + reg.h) * row_len];
    let jobs: Vec<_> = ranges.iter().cloned().zip(split_rows(region, row_len, &ranges)).collect();
    run(jobs, |(rows, chunk)| {
        for (i, y) in rows.enumerate() {
            let t0 = (reg.sy + y) * tile_w + reg.sx;
            let span = t0..t0 + reg.w;
            let dst = &mut chunk[i * row_len + reg.dx * ch..i * row_len + (reg.dx + reg.w) * ch];
            let (r, g, b) = (&r[span.clone()], &g[span.clone()], &b[span]);
            match ch {
                3 => from_planes_mv::<3>(r, g, b, 255.0, 0.0, None, dst),
                _ => from_planes_mv::<4>(r, g, b, 255.0, 0.0, None, dst),
            }
        }
    });
}
