/**
 * How each background-removal model wants its input and gives its answer, keyed by manifest id.
 * The manifest says where a model comes from and its tensor names; this table says what the
 * numbers mean (size, layout, normalisation, how the output becomes a 0–1 foreground
 * probability), which differs per family and cannot be read from the ONNX file.
 *
 * Pre/post-processing of the general-purpose models follows their reference use in rembg
 * (MIT): the picture is resized to the model's square, scaled by its brightest value, normalised
 * per channel; the first output's first channel is min-max stretched to 0–1 (after a sigmoid
 * for BiRefNet, whose output is logits).
 */

export interface SegmenterSpec {
  /** The square the model runs at. */
  size: number;
  /** NHWC (MediaPipe, converted from tfjs) or NCHW (PyTorch exports). */
  layout: 'nhwc' | 'nchw';
  /** Per channel (R, G, B), applied to pixel / scale where scale is 255 or the image's maximum. */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  scaleBy: '255' | 'max';
  /** prob: the output is already a probability; minmax: stretch to 0–1; sigmoid-minmax: logits. */
  output: 'prob' | 'minmax' | 'sigmoid-minmax';
}

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const;

export const SEGMENTERS: Readonly<Record<string, SegmenterSpec>> = Object.freeze({
  // MediaPipe selfie segmentation (general, 256²): RGB in 0–1, sigmoid already applied.
  'selfie-segmentation': { size: 256, layout: 'nhwc', mean: [0, 0, 0], std: [1, 1, 1], scaleBy: '255', output: 'prob' },
  // U²-Net (salient object, 320²).
  u2net: { size: 320, layout: 'nchw', ...IMAGENET, scaleBy: 'max', output: 'minmax' },
  // BiRefNet general (1024²), output logits.
  'birefnet-general': { size: 1024, layout: 'nchw', ...IMAGENET, scaleBy: 'max', output: 'sigmoid-minmax' },
});

export function segmenterFor(modelId: string): SegmenterSpec | null {
  return SEGMENTERS[modelId] ?? null;
}
