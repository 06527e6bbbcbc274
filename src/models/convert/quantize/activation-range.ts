/**
 * uint8 activation parameters from a calibrated range. The range always includes 0 so that 0 is
 * exact (zero padding, a Relu's output), and a range starting at 0 gets zero point 0, which lets
 * ONNX Runtime drop a Relu in front of the QuantizeLinear: the clamp at 0 is the Relu.
 */

export interface ActivationParams {
  readonly scale: number;
  readonly zeroPoint: number;
}

export function uint8Params(lo: number, hi: number): ActivationParams {
  const min = Math.min(lo, 0);
  const max = Math.max(hi, 0);
  const scale = max > min ? Math.fround((max - min) / 255) : 1;
  return { scale, zeroPoint: Math.max(0, Math.min(255, Math.round(-min / scale))) };
}

/**
 * The [1 - p, p] quantiles of `values` (p = 0.9999 keeps all but 1 value in 10,000 on each side).
 * Clipping those few outliers was worth 3–4 dB on x4fast against min/max (whose single extreme
 * values stretch the scale for every other value); p = 0.999 clipped real detail (−6 dB).
 */
export function quantileRange(values: Float32Array, p: number): [number, number] {
  const sorted = Float32Array.from(values).sort();
  const last = sorted.length - 1;
  const k = Math.round(last * (1 - p));
  return [sorted[k], sorted[last - k]];
}
