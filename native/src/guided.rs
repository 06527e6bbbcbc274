//! Guided filter (He, Sun, Tang), grey guide: the edge-aware refinement of a matte.
//!
//! Bit-identical to src/native/fallback-guided.ts. Window means come from f64 summed-area
//! tables built sequentially in one fixed order (a single add chain per element, cheap);
//! the window queries, the per-pixel coefficients and the output are independent per pixel
//! and run on row bands in parallel, each doing exactly the fallback's arithmetic.

use crate::parallel::{row_ranges, run, split_rows};

/// Summed-area table of `value(i)` over w×h, (w+1)×(h+1) with a zero first row and column.
fn integral(w: usize, h: usize, value: impl Fn(usize) -> f64, sat: &mut [f64]) {
    let stride = w + 1;
    sat[..stride].fill(0.0);
    for y in 0..h {
        let base = (y + 1) * stride;
        let (prev, cur) = sat[y * stride..base + stride].split_at_mut(stride);
        cur[0] = 0.0;
        let mut row = 0.0f64;
        for x in 0..w {
            row += value(y * w + x);
            cur[x + 1] = prev[x + 1] + row;
        }
    }
}

/// out[i] = mean over the (2r+1)² window around i, clipped to the image.
fn box_mean(w: usize, h: usize, r: usize, sat: &[f64], out: &mut [f64]) {
    let stride = w + 1;
    let ranges = row_ranges(h, w * 4);
    let jobs: Vec<_> = ranges.iter().cloned().zip(split_rows(out, w, &ranges)).collect();
    run(jobs, |(rows, chunk)| {
        for y in rows.clone() {
            let y0 = y.saturating_sub(r);
            let y1 = (y + r).min(h - 1) + 1;
            let (top, bottom) = (y0 * stride, y1 * stride);
            let line = &mut chunk[(y - rows.start) * w..(y - rows.start + 1) * w];
            for (x, o) in line.iter_mut().enumerate() {
                let x0 = x.saturating_sub(r);
                let x1 = (x + r).min(w - 1) + 1;
                let sum = sat[bottom + x1] - sat[top + x1] - sat[bottom + x0] + sat[top + x0];
                *o = sum / (((y1 - y0) * (x1 - x0)) as f64);
            }
        }
    });
}

/// q = mean(a)·I + mean(b); a = cov(I,p)/(var(I)+eps), b = mean(p) − a·mean(I). w, h > 0.
pub fn guided_filter(guide: &[f32], src: &[f32], w: usize, h: usize, r: usize, eps: f64, out: &mut [f32]) {
    let n = w * h;
    let mut sat = vec![0f64; (w + 1) * (h + 1)];
    let mut mean_i = vec![0f64; n];
    let mut mean_p = vec![0f64; n];
    let mut mean_ip = vec![0f64; n];
    let mut mean_ii = vec![0f64; n];
    integral(w, h, |i| guide[i] as f64, &mut sat);
    box_mean(w, h, r, &sat, &mut mean_i);
    integral(w, h, |i| src[i] as f64, &mut sat);
    box_mean(w, h, r, &sat, &mut mean_p);
    integral(w, h, |i| guide[i] as f64 * src[i] as f64, &mut sat);
    box_mean(w, h, r, &sat, &mut mean_ip);
    integral(w, h, |i| guide[i] as f64 * guide[i] as f64, &mut sat);
    box_mean(w, h, r, &sat, &mut mean_ii);
    // a and b replace mean_ip and mean_ii, as in the fallback.
    for i in 0..n {
        let mi = mean_i[i];
        let a = (mean_ip[i] - mi * mean_p[i]) / (mean_ii[i] - mi * mi + eps);
        mean_ip[i] = a;
        mean_ii[i] = mean_p[i] - a * mi;
    }
    let (a, b) = (&mean_ip, &mean_ii);
    integral(w, h, |i| a[i], &mut sat);
    box_mean(w, h, r, &sat, &mut mean_i);
    integral(w, h, |i| b[i], &mut sat);
    box_mean(w, h, r, &sat, &mut mean_p);
    for i in 0..n {
        out[i] = (mean_i[i] * guide[i] as f64 + mean_p[i]) as f32;
    }
}
