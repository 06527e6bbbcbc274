/**
 * PSNR between two 8-bit images, reported three ways because upscayl-bin's output has a few
 * wrapped (bright-green) pixels at strong edges and handles borders a little differently:
 * over everything, with outlier values (|diff| > threshold) excluded and counted, and away from
 * the borders (outliers excluded there too).
 */
export interface CompareStats {
  psnrAll: number;
  psnrInliers: number;
  outlierFraction: number;
  psnrInterior: number;
  maxDiff: number;
}

function psnr(sumSq: number, n: number): number {
  if (n === 0) return NaN;
  const mse = sumSq / n;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

/** `a` and `b` are interleaved HWC with `channels` values per pixel. */
export function compareImages(a: Uint8Array, b: Uint8Array, width: number, height: number, channels: number, outlierThreshold = 48, border = 16): CompareStats {
  if (a.length !== b.length || a.length !== width * height * channels) throw new Error(`compareImages: sizes differ (${a.length} vs ${b.length})`);
  let all = 0;
  let inl = 0;
  let nIn = 0;
  let inner = 0;
  let nInner = 0;
  let outliers = 0;
  let maxDiff = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const interior = y >= border && y < height - border && x >= border && x < width - border;
      for (let c = 0; c < channels; c++) {
        const i = (y * width + x) * channels + c;
        const d = a[i] - b[i];
        const sq = d * d;
        all += sq;
        maxDiff = Math.max(maxDiff, Math.abs(d));
        if (Math.abs(d) > outlierThreshold) outliers += 1;
        else {
          inl += sq;
          nIn += 1;
        }
        if (interior && Math.abs(d) <= outlierThreshold) {
          inner += sq;
          nInner += 1;
        }
      }
    }
  }
  return { psnrAll: psnr(all, a.length), psnrInliers: psnr(inl, nIn), outlierFraction: outliers / a.length, psnrInterior: psnr(inner, nInner), maxDiff };
}
