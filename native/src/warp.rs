//! Face alignment (affine warp into a normalised NCHW crop) and paste-back.

use crate::convert::Norm;
use crate::parallel::{row_ranges, run, split_rows};
use crate::round::trunc_u8;
use crate::sample::Image;

/// Cost of one warped pixel relative to a plain copy, for the threading threshold.
const PIXEL_COST: usize = 16;

pub fn warp_affine_to_nchw(
    src: &Image<u8>,
    m: &[f64; 6],
    out_w: usize,
    out_h: usize,
    norm: &Norm,
    out: &mut [f32],
) {
    let plane_len = out_w * out_h;
    let (p0, rest) = out.split_at_mut(plane_len);
    let (p1, p2) = rest.split_at_mut(plane_len);
    let ranges = row_ranges(out_h, out_w * PIXEL_COST);
    let jobs: Vec<_> = ranges
        .iter()
        .cloned()
        .zip(split_rows(p0, out_w, &ranges))
        .zip(split_rows(p1, out_w, &ranges))
        .zip(split_rows(p2, out_w, &ranges))
        .map(|(((rows, p0), p1), p2)| (rows, [p0, p1, p2]))
        .collect();
    let [a, b, c, d, e, f] = *m;
    // Multiplying by 1/std (computed once, in f64, as the fallback does) instead of
    // dividing keeps three divisions per pixel out of the loop.
    let inv = norm.std.map(|s| 1.0 / s);
    let mean = norm.mean;
    run(jobs, |(rows, planes)| {
        let [p0, p1, p2] = planes;
        for (i, y) in rows.enumerate() {
            let span = i * out_w..(i + 1) * out_w;
            let (r0, r1, r2) = (&mut p0[span.clone()], &mut p1[span.clone()], &mut p2[span]);
            // Rows in colour order R, G, B.
            let [rr, rg, rb] = if norm.bgr { [r2, r1, r0] } else { [r0, r1, r2] };
            let yf = y as f64;
            for (x, ((or, og), ob)) in rr.iter_mut().zip(rg.iter_mut()).zip(rb.iter_mut()).enumerate() {
                let xf = x as f64;
                let sx = a * xf + b * yf + c;
                let sy = d * xf + e * yf + f;
                let [vr, vg, vb] = src.sample::<3>(sx, sy);
                *or = ((vr - mean[0]) * inv[0]) as f32;
                *og = ((vg - mean[1]) * inv[1]) as f32;
                *ob = ((vb - mean[2]) * inv[2]) as f32;
            }
        }
    });
}

/// Frame rows/columns to visit, [x0, x1) × [y0, y1), already clipped to the frame.
pub struct Bbox {
    pub x0: usize,
    pub y0: usize,
    pub x1: usize,
    pub y1: usize,
}

pub fn paste_back(
    frame: &mut [u8],
    width: usize,
    channels: usize,
    crop: &Image<u8>,
    mask: &Image<f32>,
    m: &[f64; 6],
    bbox: &Bbox,
) {
    let rows_total = bbox.y1 - bbox.y0;
    let row_len = width * channels;
    let ranges = row_ranges(rows_total, (bbox.x1 - bbox.x0) * PIXEL_COST);
    let region = &mut frame[bbox.y0 * row_len..bbox.y1 * row_len];
    let jobs: Vec<_> = ranges.iter().cloned().zip(split_rows(region, row_len, &ranges)).collect();
    let [a, b, c, d, e, f] = *m;
    run(jobs, |(rows, chunk)| {
        for (i, r) in rows.enumerate() {
            let yf = (bbox.y0 + r) as f64;
            let row = &mut chunk[i * row_len..(i + 1) * row_len];
            for x in bbox.x0..bbox.x1 {
                let xf = x as f64;
                let sx = a * xf + b * yf + c;
                let sy = d * xf + e * yf + f;
                let [mut k] = mask.sample::<1>(sx, sy);
                // Skips NaN as well as 0.
                if k.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
                    continue;
                }
                if k > 1.0 {
                    k = 1.0;
                }
                let cv = crop.sample::<3>(sx, sy);
                let px = &mut row[x * channels..x * channels + 3];
                for (p, &cv) in px.iter_mut().zip(&cv) {
                    *p = trunc_u8(k * cv + (1.0 - k) * *p as f64);
                }
            }
        }
    });
}
