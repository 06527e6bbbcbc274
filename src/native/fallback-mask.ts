/**
 * TypeScript mask filters, bit-identical to native/src/mask.rs: a horizontal pass into
 * a scratch image, then a vertical pass, borders clamped, blur sums in f64 in the same
 * order as the Rust code.
 */

export function gaussianBlur(mask: Float32Array, width: number, height: number, weights: Float64Array,
  out: Float32Array): void {
  if (width === 0 || height === 0) return;
  const r = weights.length - 1;
  const w0 = weights[0];
  const tmp = new Float32Array(width * height);
  const padded = new Float32Array(width + 2 * r);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let j = 0; j < padded.length; j++) padded[j] = mask[row + Math.min(Math.max(j - r, 0), width - 1)];
    for (let x = 0; x < width; x++) {
      const c = x + r;
      let acc = w0 * padded[c];
      for (let k = 1; k <= r; k++) acc += weights[k] * (padded[c - k] + padded[c + k]);
      tmp[row + x] = acc;
    }
  }
  const last = height - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = w0 * tmp[y * width + x];
      for (let k = 1; k <= r; k++) {
        const up = Math.max(y - k, 0) * width + x;
        const down = Math.min(y + k, last) * width + x;
        acc += weights[k] * (tmp[up] + tmp[down]);
      }
      out[y * width + x] = acc;
    }
  }
}

export function erode(mask: Float32Array, width: number, height: number, radius: number, out: Float32Array): void {
  if (width === 0 || height === 0) return;
  const r = Math.min(radius, Math.max(width, height));
  const tmp = new Float32Array(width * height);
  // The window is clipped to the image (for a minimum, the same as replicating the
  // border) and scanned from its first element with `v < m ? v : m`, as in Rust.
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const lo = Math.max(x - r, 0);
      const hi = Math.min(x + r, width - 1);
      let m = mask[row + lo];
      for (let j = lo + 1; j <= hi; j++) {
        const v = mask[row + j];
        if (v < m) m = v;
      }
      tmp[row + x] = m;
    }
  }
  for (let y = 0; y < height; y++) {
    const lo = Math.max(y - r, 0);
    const hi = Math.min(y + r, height - 1);
    for (let x = 0; x < width; x++) {
      let m = tmp[lo * width + x];
      for (let yy = lo + 1; yy <= hi; yy++) {
        const v = tmp[yy * width + x];
        if (v < m) m = v;
      }
      out[y * width + x] = m;
    }
  }
}
