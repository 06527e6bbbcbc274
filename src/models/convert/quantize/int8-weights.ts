/**
 * Weight quantization for ONNX Runtime's QLinearConv: int8 weights symmetric per output channel
 * (zero point 0, scale = max |w| / 127, the range MLAS's u8s8 kernels take without saturating on
 * VNNI), the bias as int32 in the scale input scale × weight scale that QLinearConv adds it at, and
 * the bias correction of Nagel et al. 2019 ("Data-Free Quantization", section 4.2): rounding the
 * weights shifts each output channel's mean by sum(Δw · E[x]), which the float bias takes back.
 */

export interface Int8Weights {
  readonly values: Int8Array;
  /** One scale per output channel (float32, as ONNX stores it). */
  readonly scales: Float32Array;
}

/** `weights` is [out, ...] row-major: each output channel's block gets its own scale. */
export function quantizeWeights(weights: Float32Array, outChannels: number): Int8Weights {
  const per = weights.length / outChannels;
  const values = new Int8Array(weights.length);
  const scales = new Float32Array(outChannels);
  for (let o = 0; o < outChannels; o++) {
    let max = 0;
    for (let i = o * per; i < (o + 1) * per; i++) max = Math.max(max, Math.abs(weights[i]));
    // An all-zero channel keeps scale 1: a zero scale would divide by zero in DequantizeLinear's inverse.
    scales[o] = max > 0 ? max / 127 : 1;
    for (let i = o * per; i < (o + 1) * per; i++) values[i] = Math.round(weights[i] / scales[o]);
  }
  return { values, scales };
}

/** The int32 bias QLinearConv adds to the int32 accumulator, and its per-channel scales. */
export function quantizeBias(bias: Float32Array, inputScale: number, weightScales: Float32Array): { values: Int32Array; scales: Float32Array } {
  const scales = weightScales.map((s) => s * inputScale);
  return { values: Int32Array.from(bias, (b, o) => Math.round(b / scales[o])), scales };
}

/**
 * The bias with the rounding's mean shift taken out. `inputMeans` are the input's per-channel means
 * over the calibration images; the weights are [out, in, ...kernel]. Exact away from the borders,
 * where the zero padding makes the true mean smaller.
 */
export function correctBias(bias: Float32Array, weights: Float32Array, q: Int8Weights, inputMeans: ArrayLike<number>): Float32Array {
  const out = bias.length;
  const inCh = inputMeans.length;
  const kernel = weights.length / (out * inCh);
  return bias.map((b, o) => {
    let shift = 0;
    for (let c = 0; c < inCh; c++) {
      let delta = 0;
      for (let k = 0; k < kernel; k++) {
        const i = (o * inCh + c) * kernel + k;
        delta += q.values[i] * q.scales[o] - weights[i];
      }
      shift += delta * inputMeans[c];
    }
    return b - shift;
  });
}
