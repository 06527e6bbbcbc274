/**
 * The hot CPU kernels every pipeline uses, as one typed API. Two implementations
 * exist (the Rust addon in `native/` and a pure-TypeScript fallback) and they give
 * identical results; callers never know which one ran except through `backend`.
 *
 * Conventions shared by every kernel:
 * - Images are u8 HWC, `channels` 1, 3 or 4, row-major, no padding between rows.
 * - Tensors are f32 NCHW with N = 1, planes in RGB order unless `bgr` is set.
 * - u8 conversion: v = x * scale + offset, then round half to EVEN, then clamp to
 *   [0, 255]. (Half-to-even matches numpy's `round`, which Real-ESRGAN uses.)
 * - An `out` argument, when given, is written in place and returned; otherwise a new
 *   array is allocated. Wrong lengths, non-integer or negative sizes throw TypeError.
 */

/**
 * value = (pixel - mean[c]) / std[c] with pixel in 0..255. `mean` and `std` are indexed
 * by colour channel (R, G, B) whatever the plane order, so `bgr` only moves planes.
 */
export interface Normalization {
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** Write planes in B, G, R order (the InsightFace models want BGR). */
  bgr?: boolean;
}

/** Common conventions, spelled once. */
export const NORM_0_1: Normalization = { mean: [0, 0, 0], std: [255, 255, 255] };
export const NORM_NEG1_1: Normalization = { mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5] };
export const NORM_INSIGHTFACE: Normalization = { mean: [127.5, 127.5, 127.5], std: [128, 128, 128] };

/** Row-major 2x3 affine matrix [a, b, c, d, e, f]: x' = a*x + b*y + c, y' = d*x + e*y + f. */
export type Affine = readonly [number, number, number, number, number, number];

export interface Kernels {
  readonly backend: 'native' | 'typescript';

  /**
   * u8 HWC (channels 3 or 4; alpha ignored) → f32 NCHW [1,3,H,W] with per-channel
   * normalization. `out` length must be 3*W*H.
   */
  hwcToNchw(src: Uint8Array, width: number, height: number, channels: number,
    norm: Normalization, out?: Float32Array): Float32Array;

  /**
   * f32 NCHW [1,3,H,W] → u8 HWC with `channels` 3 or 4 (alpha written as 255 when 4).
   * u8 = clamp(roundHalfEven(x * scale + offset), 0, 255). `bgr`: source planes are B,G,R.
   */
  nchwToHwc(src: Float32Array, width: number, height: number, channels: number,
    scale: number, offset: number, bgr?: boolean, out?: Uint8Array): Uint8Array;

  /** IEEE binary32 → binary16 bit patterns, round to nearest even (overflow → ±inf, NaN kept). */
  f32ToF16(src: Float32Array, out?: Uint16Array): Uint16Array;
  /** binary16 bit patterns → binary32 (exact). */
  f16ToF32(src: Uint16Array, out?: Float32Array): Float32Array;

  /**
   * Face alignment: for each output pixel (x, y) of an outW×outH crop, sample the source
   * image bilinearly at M·(x, y, 1) (M maps CROP → SOURCE coordinates; pass the inverse of
   * the alignment transform), normalise, and write f32 NCHW [1,3,outH,outW].
   * Samples outside the source read as 0 (constant border, as cv2.warpAffine's default).
   */
  warpAffineToNchw(src: Uint8Array, width: number, height: number, channels: number,
    m: Affine, outW: number, outH: number, norm: Normalization, out?: Float32Array): Float32Array;

  /**
   * Face paste-back, in place on `frame` (u8 HWC, channels 3 or 4; alpha untouched):
   * for each frame pixel inside the bounding box of the warped crop, sample the crop
   * (u8 HWC RGB, cropW×cropH) and the mask (f32 in [0,1], cropW×cropH) bilinearly at
   * M·(x, y, 1), where M maps FRAME → CROP coordinates, and blend
   * frame = mask*crop + (1-mask)*frame, truncated to u8 as insightface does.
   * Pixels whose mask sample is 0 are not written.
   */
  pasteBack(frame: Uint8Array, width: number, height: number, channels: number,
    crop: Uint8Array, cropW: number, cropH: number, mask: Float32Array, m: Affine): void;

  /**
   * Tile assembly for upscaling: take the region (sx, sy, w, h) of a model output tile
   * (f32 NCHW [1,3,tileH,tileW], values in [0,1]) and write it as u8 into `out`
   * (HWC, outW×outH, `outChannels` 3 or 4; alpha left untouched) at (dx, dy), with
   * u8 = clamp(roundHalfEven(x*255), 0, 255).
   */
  placeTile(tile: Float32Array, tileW: number, tileH: number,
    sx: number, sy: number, w: number, h: number,
    out: Uint8Array, outW: number, outH: number, outChannels: number, dx: number, dy: number): void;

  /** Separable Gaussian blur of a single-channel f32 mask (kernel radius = ceil(3*sigma), borders clamped). */
  gaussianBlur(mask: Float32Array, width: number, height: number, sigma: number, out?: Float32Array): Float32Array;

  /** Grey erosion (min filter) of a single-channel f32 mask with a square kernel of side 2*radius+1. */
  erode(mask: Float32Array, width: number, height: number, radius: number, out?: Float32Array): Float32Array;

  /**
   * Edge-aware smoothing of a single-channel f32 image `src` (e.g. an upsampled matte) steered by
   * a grey `guide` of the same size (He et al.'s guided filter): q = mean(a)·guide + mean(b), with
   * a = cov(guide, src) / (var(guide) + eps) and b = mean(src) − a·mean(guide) over square windows
   * of side 2*radius+1 clipped at the borders. Edges of `guide` stay sharp in q.
   */
  guidedFilter(guide: Float32Array, src: Float32Array, width: number, height: number,
    radius: number, eps: number, out?: Float32Array): Float32Array;

  /**
   * Piecewise-affine warp (face_swap's mesh engine): `srcPts` and `dstPts` hold the same mesh's
   * points (x, y, z triples; z unused) in the source image and the target frame; for each
   * triangle (index triples into the points), every pixel of the outW×outH patch at (x0, y0) of
   * the target frame whose centre lies inside it samples the source (u8 HWC, 3 or 4 channels)
   * bilinearly (edges clamped) at the same barycentric position. Writes RGB f32 0–255 into `rgb`
   * and 1 into `covered` there; other pixels are left as they were. Both outputs are required.
   */
  warpTriangles(src: Uint8Array, width: number, height: number, channels: number, srcPts: Float32Array, dstPts: Float32Array,
    triangles: Uint16Array, x0: number, y0: number, outW: number, outH: number, rgb: Float32Array, covered: Uint8Array): void;

  /**
   * Reinhard colour transfer in CIE L*a*b* (face_swap's mesh engine): `rgb` (RGB f32 0–255, the
   * warped face over the outW×outH patch at (x0, y0) of `frame`, u8 HWC, 3 or 4 channels) takes the
   * mean and standard deviation per LAB channel of the frame's pixels under it, both measured where
   * `mask` ≥ 0.5 and `covered` is 1; the gain is capped at 3. Rewrites `rgb` in place where mask > 0
   * and covered; does nothing when fewer than 16 pixels qualify. The patch must lie inside the frame.
   */
  transferColour(frame: Uint8Array, width: number, height: number, channels: number, x0: number, y0: number,
    outW: number, outH: number, rgb: Float32Array, mask: Float32Array, covered: Uint8Array): void;

  /**
   * The mesh engine's blend, in place on `frame` (u8 HWC, 3 or 4 channels; alpha untouched): each
   * pixel of the outW×outH patch at (x0, y0) with mask > 0 and covered 1 becomes
   * mask·rgb + (1 − mask)·frame, rounded half up and clamped. The patch must lie inside the frame.
   */
  blendPatch(frame: Uint8Array, width: number, height: number, channels: number, x0: number, y0: number,
    outW: number, outH: number, rgb: Float32Array, mask: Float32Array, covered: Uint8Array): void;
}
