/**
 * TypeScript guided filter (He, Sun, Tang: "Guided Image Filtering", grey guide), bit-identical
 * to native/src/guided.rs. Every window mean comes from an f64 summed-area table built in one
 * fixed order (row by row, left to right), so each output is the same arithmetic in both
 * backends whatever the addon's threading; windows are clipped at the borders and divided by
 * the number of pixels they cover (the paper's N).
 */

/** Summed-area table of `values(i)` over a w×h image: (w+1)×(h+1), first row and column 0. */
function integral(w: number, h: number, values: (i: number) => number, sat: Float64Array): void {
  const stride = w + 1;
  for (let x = 0; x <= w; x++) sat[x] = 0;
  for (let y = 0; y < h; y++) {
    let row = 0;
    const base = (y + 1) * stride;
    sat[base] = 0;
    for (let x = 0; x < w; x++) {
      row += values(y * w + x);
      sat[base + x + 1] = sat[base - stride + x + 1] + row;
    }
  }
}

/** out[i] = mean of the (2r+1)² window around pixel i, clipped to the image. */
function boxMean(w: number, h: number, r: number, sat: Float64Array, out: Float64Array): void {
  const stride = w + 1;
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(y - r, 0);
    const y1 = Math.min(y + r, h - 1) + 1;
    const top = y0 * stride;
    const bottom = y1 * stride;
    for (let x = 0; x < w; x++) {
      const x0 = Math.max(x - r, 0);
      const x1 = Math.min(x + r, w - 1) + 1;
      const sum = sat[bottom + x1] - sat[top + x1] - sat[bottom + x0] + sat[top + x0];
      out[y * w + x] = sum / ((y1 - y0) * (x1 - x0));
    }
  }
}

/**
 * q = mean(a)·I + mean(b) with a = cov(I,p) / (var(I) + eps), b = mean(p) − a·mean(I), every
 * statistic over the (2r+1)² window. `guide` and `src` are w×h f32; `out` receives q as f32.
 */
export function guidedFilter(guide: Float32Array, src: Float32Array, width: number, height: number,
  radius: number, eps: number, out: Float32Array): void {
  const n = width * height;
  if (n === 0) return;
  const sat = new Float64Array((width + 1) * (height + 1));
  const meanI = new Float64Array(n);
  const meanP = new Float64Array(n);
  const meanIp = new Float64Array(n);
  const meanII = new Float64Array(n);
  integral(width, height, (i) => guide[i], sat);
  boxMean(width, height, radius, sat, meanI);
  integral(width, height, (i) => src[i], sat);
  boxMean(width, height, radius, sat, meanP);
  integral(width, height, (i) => guide[i] * src[i], sat);
  boxMean(width, height, radius, sat, meanIp);
  integral(width, height, (i) => guide[i] * guide[i], sat);
  boxMean(width, height, radius, sat, meanII);
  // a and b overwrite meanIp and meanII, which are not read again.
  const a = meanIp;
  const b = meanII;
  for (let i = 0; i < n; i++) {
    const mi = meanI[i];
    const ai = (meanIp[i] - mi * meanP[i]) / (meanII[i] - mi * mi + eps);
    a[i] = ai;
    b[i] = meanP[i] - ai * mi;
  }
  integral(width, height, (i) => a[i], sat);
  boxMean(width, height, radius, sat, meanI);
  integral(width, height, (i) => b[i], sat);
  boxMean(width, height, radius, sat, meanP);
  for (let i = 0; i < n; i++) out[i] = meanI[i] * guide[i] + meanP[i];
}
