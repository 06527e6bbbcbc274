/**
 * Detector input: the image scaled to fit `fit`×`fit` (aspect kept, sizes truncated as
 * insightface does), at the top-left of a zero canvas, straight into normalised f32 NCHW. The
 * resize is a bilinear warp with cv2.resize's pixel-centre mapping, so one kernel call does
 * resize, pad, colour order and normalisation.
 */
import type { Kernels, Normalization } from '../../native/types.js';
import type { DecodedImage } from '../../imaging/decoded-image.js';

export interface Letterboxed {
  tensor: Float32Array;
  width: number;
  height: number;
  /** Network pixels per source pixel: divide network coordinates by it. */
  scale: number;
}

/** `canvas`: fixed canvas size, or 'round32' for the scaled size rounded up to multiples of 32. */
export function letterbox(img: DecodedImage, kernels: Kernels, fit: number, canvas: number | 'round32', norm: Normalization): Letterboxed {
  const ratio = img.height / img.width;
  let newW: number, newH: number;
  if (ratio > 1) {
    newH = fit;
    newW = Math.max(1, Math.trunc(newH / ratio));
  } else {
    newW = fit;
    newH = Math.max(1, Math.trunc(newW * ratio));
  }
  const width = canvas === 'round32' ? Math.ceil(newW / 32) * 32 : canvas;
  const height = canvas === 'round32' ? Math.ceil(newH / 32) * 32 : canvas;
  const rx = img.width / newW;
  const ry = img.height / newH;
  const tensor = kernels.warpAffineToNchw(img.data, img.width, img.height, img.channels,
    [rx, 0, 0.5 * rx - 0.5, 0, ry, 0.5 * ry - 0.5], width, height, norm);
  // The warp's bilinear border bleeds into the first padding row/column; the canvas is zeros there.
  if (newW < width || newH < height) {
    const zero = [0, 1, 2].map((c) => (0 - norm.mean[c]) / norm.std[c]);
    if (norm.bgr) zero.reverse();
    const plane = width * height;
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < height; y++) {
        const row = c * plane + y * width;
        if (y >= newH) tensor.fill(zero[c], row, row + width);
        else tensor.fill(zero[c], row + newW, row + width);
      }
    }
  }
  return { tensor, width, height, scale: newH / img.height };
}
