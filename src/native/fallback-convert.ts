/**
 * TypeScript layout conversions, bit-identical to native/src/convert.rs.
 *
 * f32 → u8 stores go through a Uint8ClampedArray view: the language defines that
 * store (ToUint8Clamp) as clamp to [0, 255] with NaN → 0 and round half to EVEN,
 * exactly the rounding the Rust side implements. The value stored is computed in
 * f64 (x * scale + offset), as in Rust.
 */

function clampedView(out: Uint8Array): Uint8ClampedArray {
  return new Uint8ClampedArray(out.buffer, out.byteOffset, out.length);
}

/** (pixel - mean) / std computed in f64 and rounded once to f32, per u8 value. */
function lut(mean: number, std: number): Float32Array {
  const t = new Float32Array(256);
  for (let p = 0; p < 256; p++) t[p] = (p - mean) / std;
  return t;
}

export function hwcToNchw(src: Uint8Array, width: number, height: number, channels: number,
  meanR: number, meanG: number, meanB: number, stdR: number, stdG: number, stdB: number,
  bgr: boolean, out: Float32Array): void {
  const n = width * height;
  const lr = lut(meanR, stdR);
  const lg = lut(meanG, stdG);
  const lb = lut(meanB, stdB);
  const pr = bgr ? 2 * n : 0;
  const pb = bgr ? 0 : 2 * n;
  for (let i = 0, s = 0; i < n; i++, s += channels) {
    out[pr + i] = lr[src[s]];
    out[n + i] = lg[src[s + 1]];
    out[pb + i] = lb[src[s + 2]];
  }
}

export function nchwToHwc(src: Float32Array, width: number, height: number, channels: number,
  scale: number, offset: number, bgr: boolean, out: Uint8Array): void {
  const n = width * height;
  const o = clampedView(out);
  const pr = bgr ? 2 * n : 0;
  const pb = bgr ? 0 : 2 * n;
  for (let i = 0, d = 0; i < n; i++, d += channels) {
    o[d] = src[pr + i] * scale + offset;
    o[d + 1] = src[n + i] * scale + offset;
    o[d + 2] = src[pb + i] * scale + offset;
    if (channels === 4) o[d + 3] = 255;
  }
}

export function placeTile(tile: Float32Array, tileW: number, tileH: number,
  sx: number, sy: number, w: number, h: number,
  out: Uint8Array, outW: number, _outH: number, outChannels: number, dx: number, dy: number): void {
  const plane = tileW * tileH;
  const o = clampedView(out);
  for (let y = 0; y < h; y++) {
    let t = (sy + y) * tileW + sx;
    let d = ((dy + y) * outW + dx) * outChannels;
    for (let x = 0; x < w; x++, t++, d += outChannels) {
      o[d] = tile[t] * 255;
      o[d + 1] = tile[plane + t] * 255;
      o[d + 2] = tile[2 * plane + t] * 255;
    }
  }
}
