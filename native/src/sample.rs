//! Bilinear sampling with a constant zero border (cv2's BORDER_CONSTANT, value 0).
//!
//! The arithmetic is spelled out in a fixed order, in f64, so the TypeScript fallback
//! (`src/native/fallback-warp.ts`) reproduces it exactly.

/// An interleaved image: `N` leading channels of each pixel are sampled.
pub struct Image<'a, T> {
    pub data: &'a [T],
    pub width: usize,
    pub height: usize,
    pub stride: usize,
}

/// floor() for values in (-1, 2^31), without a libm call on baseline x86-64.
#[inline(always)]
fn floor_i64(v: f64) -> i64 {
    // SAFETY: callers pass finite values in (-1, 2^31), which fit in i64.
    let t = unsafe { v.to_int_unchecked::<i64>() };
    if (t as f64) > v {
        t - 1
    } else {
        t
    }
}

impl<T: Copy + Into<f64>> Image<'_, T> {
    #[inline(always)]
    fn at<const N: usize>(&self, x: i64, y: i64) -> [f64; N] {
        let mut px = [0.0; N];
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            let i = (y as usize * self.width + x as usize) * self.stride;
            for (k, v) in px.iter_mut().enumerate() {
                *v = self.data[i + k].into();
            }
        }
        px
    }

    /// The first `N` channels at (sx, sy); pixels outside the image read as 0.
    #[inline(always)]
    pub fn sample<const N: usize>(&self, sx: f64, sy: f64) -> [f64; N] {
        let (w, h) = (self.width as f64, self.height as f64);
        // Beyond these bounds every tap is outside (NaN fails the test too).
        if !(sx > -1.0 && sx < w && sy > -1.0 && sy < h) {
            return [0.0; N];
        }
        let x0 = floor_i64(sx);
        let y0 = floor_i64(sy);
        let fx = sx - x0 as f64;
        let fy = sy - y0 as f64;
        let gx = 1.0 - fx;
        let gy = 1.0 - fy;
        let (p00, p10, p01, p11);
        if x0 >= 0 && y0 >= 0 && ((x0 + 1) as usize) < self.width && ((y0 + 1) as usize) < self.height {
            let i = (y0 as usize * self.width + x0 as usize) * self.stride;
            let row = self.width * self.stride;
            let d = &self.data[i..i + row + self.stride + N];
            p00 = std::array::from_fn::<f64, N, _>(|k| d[k].into());
            p10 = std::array::from_fn::<f64, N, _>(|k| d[self.stride + k].into());
            p01 = std::array::from_fn::<f64, N, _>(|k| d[row + k].into());
            p11 = std::array::from_fn::<f64, N, _>(|k| d[row + self.stride + k].into());
        } else {
            p00 = self.at::<N>(x0, y0);
            p10 = self.at::<N>(x0 + 1, y0);
            p01 = self.at::<N>(x0, y0 + 1);
            p11 = self.at::<N>(x0 + 1, y0 + 1);
        }
        std::array::from_fn(|k| (p00[k] * gx + p10[k] * fx) * gy + (p01[k] * gx + p11[k] * fx) * fy)
    }

    /// Channels 0..3 at (sx, sy) as four lanes (the last is unspecified), computed like
    /// `sample::<3>` lane for lane. Each corner is loaded as 4 consecutive bytes, so the
    /// arithmetic runs as one 4-lane vector when compiled with AVX; the border and the
    /// image's last pixels go through `sample::<3>`.
    #[inline(always)]
    pub fn sample_x4(&self, sx: f64, sy: f64) -> [f64; 4] {
        let (w, h) = (self.width as f64, self.height as f64);
        if sx >= 0.0 && sy >= 0.0 && sx < w - 1.0 && sy < h - 1.0 {
            // In here floor(sx) + 1 < width and floor(sy) + 1 < height.
            // SAFETY: sx, sy are in [0, 2^31).
            let x0 = unsafe { sx.to_int_unchecked::<i64>() };
            let y0 = unsafe { sy.to_int_unchecked::<i64>() };
            let i = (y0 as usize * self.width + x0 as usize) * self.stride;
            let row = self.width * self.stride;
            if let Some(d) = self.data.get(i..i + row + self.stride + 4) {
                let fx = sx - x0 as f64;
                let fy = sy - y0 as f64;
                let gx = 1.0 - fx;
                let gy = 1.0 - fy;
                let at = |o: usize| -> [f64; 4] { std::array::from_fn(|k| d[o + k].into()) };
                let (p00, p10, p01, p11) = (at(0), at(self.stride), at(row), at(row + self.stride));
                return std::array::from_fn(|k| {
                    (p00[k] * gx + p10[k] * fx) * gy + (p01[k] * gx + p11[k] * fx) * fy
                });
            }
        }
        let [r, g, b] = self.sample::<3>(sx, sy);
        [r, g, b, 0.0]
    }
}
