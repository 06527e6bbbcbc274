//! Piecewise-affine mesh warp (face_swap's mesh engine): for each triangle of the target mesh,
//! every patch pixel whose centre lies inside samples the source bilinearly at the same
//! barycentric position in the source triangle. The arithmetic is the TypeScript fallback's
//! (src/native/fallback-mesh-warp.ts), step for step in f64, so both give the same floats.

use crate::round::floor_i64;

pub struct Patch {
    pub x0: f64,
    pub y0: f64,
    pub w: usize,
    pub h: usize,
}

#[allow(clippy::too_many_arguments)]
pub fn warp_triangles(
    src: &[u8],
    sw: usize,
    sh: usize,
    sc: usize,
    src_pts: &[f32],
    dst_pts: &[f32],
    tris: &[u16],
    patch: &Patch,
    rgb: &mut [f32],
    covered: &mut [u8],
) {
    let (width, height) = (patch.w as i64, patch.h as i64);
    let clamp = |v: i64, hi: usize| -> usize { v.clamp(0, hi as i64 - 1) as usize };
    for t in tris.chunks_exact(3) {
        let (a, b, c) = (t[0] as usize, t[1] as usize, t[2] as usize);
        let p = |pts: &[f32], i: usize, k: usize| pts[3 * i + k] as f64;
        let (ax, ay) = (p(dst_pts, a, 0) - patch.x0, p(dst_pts, a, 1) - patch.y0);
        let (bx, by) = (p(dst_pts, b, 0) - patch.x0, p(dst_pts, b, 1) - patch.y0);
        let (cx, cy) = (p(dst_pts, c, 0) - patch.x0, p(dst_pts, c, 1) - patch.y0);
        let det = (bx - ax) * (cy - ay) - (cx - ax) * (by - ay);
        if det.abs() < 1e-6 {
            continue;
        }
        let inv = 1.0 / det;
        let (b0, b1) = ((cy - ay) * inv, -(cx - ax) * inv);
        let b2 = -(b0 * ax + b1 * ay);
        let (c0, c1) = (-(by - ay) * inv, (bx - ax) * inv);
        let c2 = -(c0 * ax + c1 * ay);
        let (sax, say) = (p(src_pts, a, 0), p(src_pts, a, 1));
        let (dbx, dby) = (p(src_pts, b, 0) - sax, p(src_pts, b, 1) - say);
        let (dcx, dcy) = (p(src_pts, c, 0) - sax, p(src_pts, c, 1) - say);
        let xmin = (ax.min(bx).min(cx).floor() as i64).max(0);
        let xmax = (ax.max(bx).max(cx).ceil() as i64).min(width - 1);
        let ymin = (ay.min(by).min(cy).floor() as i64).max(0);
        let ymax = (ay.max(by).max(cy).ceil() as i64).min(height - 1);
        let eps = -1e-5;
        for y in ymin..=ymax {
            let py = y as f64 + 0.5;
            for x in xmin..=xmax {
                let px = x as f64 + 0.5;
                let wb = b0 * px + b1 * py + b2;
                let wc = c0 * px + c1 * py + c2;
                if wb < eps || wc < eps || wb + wc > 1.0 - eps {
                    continue;
                }
                let sx = sax + wb * dbx + wc * dcx - 0.5;
                let sy = say + wb * dby + wc * dcy - 0.5;
                let (fx, fy) = (floor_i64(sx), floor_i64(sy));
                let (tx, ty) = (sx - fx as f64, sy - fy as f64);
                let (xa, xb) = (clamp(fx, sw), clamp(fx + 1, sw));
                let (ya, yb) = (clamp(fy, sh), clamp(fy + 1, sh));
                let (o00, o10) = ((ya * sw + xa) * sc, (ya * sw + xb) * sc);
                let (o01, o11) = ((yb * sw + xa) * sc, (yb * sw + xb) * sc);
                let w00 = (1.0 - tx) * (1.0 - ty);
                let w10 = tx * (1.0 - ty);
                let w01 = (1.0 - tx) * ty;
                let w11 = tx * ty;
                let i = (y * width + x) as usize;
                for k in 0..3 {
                    let v = w00 * src[o00 + k] as f64
                        + w10 * src[o10 + k] as f64
                        + w01 * src[o01 + k] as f64
                        + w11 * src[o11 + k] as f64;
                    rgb[3 * i + k] = v as f32;
                }
                covered[i] = 1;
            }
        }
    }
}
