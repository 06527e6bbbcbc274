/**
 * TypeScript face warps, following native/src/sample.rs and warp.rs operation for
 * operation (f64, same order), so the results match the addon bit for bit in practice.
 */

/**
 * Bilinear sample of the first `n` channels of an interleaved image at (sx, sy) into
 * `px`; pixels outside the image read as 0 (constant border).
 */
function sample(data: Uint8Array | Float32Array, width: number, height: number, stride: number, n: number,
  sx: number, sy: number, px: Float64Array): void {
  // Beyond these bounds every tap is outside (NaN fails the test too).
  if (!(sx > -1 && sx < width && sy > -1 && sy < height)) {
    px.fill(0, 0, n);
    return;
  }
  const x0 = Math.floor(sx);
  const y0 = Math.floor(sy);
  const fx = sx - x0;
  const fy = sy - y0;
  const gx = 1 - fx;
  const gy = 1 - fy;
  const in0 = x0 >= 0;
  const in1 = x0 + 1 < width;
  const row0 = y0 >= 0;
  const row1 = y0 + 1 < height;
  const i00 = (y0 * width + x0) * stride;
  const i01 = i00 + width * stride;
  for (let k = 0; k < n; k++) {
    const p00 = in0 && row0 ? data[i00 + k] : 0;
    const p10 = in1 && row0 ? data[i00 + stride + k] : 0;
    const p01 = in0 && row1 ? data[i01 + k] : 0;
    const p11 = in1 && row1 ? data[i01 + stride + k] : 0;
    px[k] = (p00 * gx + p10 * fx) * gy + (p01 * gx + p11 * fx) * fy;
  }
}

export function warpAffineToNchw(src: Uint8Array, width: number, height: number, channels: number,
  a: number, b: number, c: number, d: number, e: number, f: number,
  outW: number, outH: number,
  meanR: number, meanG: number, meanB: number, stdR: number, stdG: number, stdB: number,
  bgr: boolean, out: Float32Array): void {
  const n = outW * outH;
  const pr = bgr ? 2 * n : 0;
  const pb = bgr ? 0 : 2 * n;
  const px = new Float64Array(3);
  // Multiply by 1/std, as native/src/warp.rs does.
  const [ir, ig, ib] = [1 / stdR, 1 / stdG, 1 / stdB];
  for (let y = 0, i = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++, i++) {
      const sx = a * x + b * y + c;
      const sy = d * x + e * y + f;
      sample(src, width, height, channels, 3, sx, sy, px);
      out[pr + i] = (px[0] - meanR) * ir;
      out[n + i] = (px[1] - meanG) * ig;
      out[pb + i] = (px[2] - meanB) * ib;
    }
  }
}

export function pasteBack(frame: Uint8Array, width: number, _height: number, channels: number,
  crop: Uint8Array, cropW: number, cropH: number, mask: Float32Array,
  a: number, b: number, c: number, d: number, e: number, f: number,
  x0: number, y0: number, x1: number, y1: number): void {
  const k = new Float64Array(1);
  const cv = new Float64Array(3);
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const sx = a * x + b * y + c;
      const sy = d * x + e * y + f;
      sample(mask, cropW, cropH, 1, 1, sx, sy, k);
      let m = k[0];
      // Skips NaN as well as 0.
      if (!(m > 0)) continue;
      if (m > 1) m = 1;
      sample(crop, cropW, cropH, 3, 3, sx, sy, cv);
      const p = (y * width + x) * channels;
      // A Uint8Array store truncates toward zero; the value is in [0, 255 + ε].
      for (let ch = 0; ch < 3; ch++) {
        const v = m * cv[ch] + (1 - m) * frame[p + ch];
        frame[p + ch] = v < 255 ? v : 255;
      }
    }
  }
}
