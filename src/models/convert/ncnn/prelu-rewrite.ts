/**
 * Per-channel PReLU after a Convolution, written with ops that ONNX Runtime's x86 NCHWc layout pass
 * keeps in its blocked layout. Why: ORT runs every 3x3 Conv of SRVGGNetCompact (realesrgan-x4fast)
 * as an NCHWc Conv, but PRelu is not NCHWc-aware, so each of the 33 PRelus cost a ReorderOutput,
 * ORT's generic broadcast PRelu kernel and a ReorderInput: about 28 % of a CPU run (ORT profile,
 * 256² input). ORT's NchwcTransformer turns a BatchNormalization on an NCHWc tensor into a depthwise
 * 1x1 NCHWc Conv, fuses a following Relu into it, and runs a same-shape Add on NCHWc tensors as is.
 *
 * With a = d*s and c = d*(1-s) per channel, where d = -1 on channels with slope s > 1 and +1 elsewhere:
 *
 *   d*PRelu_s(y) = a*y + Relu(c*y)          (c >= 0, so c*Relu(y) = Relu(c*y))
 *                = y' + Relu((c/a)*y')      with y' = a*y, folded into the producing Conv's weights
 *
 * so a PRelu becomes BatchNormalization (scale c/a) + Relu + Add: two memory-bound NCHWc passes and no
 * reorders (measured: about half the time of PRelu + reorders). Where d = -1 the consuming Conv's weights
 * for that input channel are negated, which is exact. Slopes of 0 (a = 0) cannot be folded; such a
 * PReLU stays a PRelu. On CUDA the BatchNormalization, Relu and Add are elementwise passes next to 3x3
 * convolutions with 576 multiply-adds per output value: neutral.
 */
import type { GraphBuilder } from '../onnx-graph.js';

export interface PreluFactors {
  /** a: the producing Conv's output channel scale. */
  readonly linear: Float32Array;
  /** c/a: the scale inside the Relu, applied to the scaled Conv output. */
  readonly reluOfScaled: Float32Array;
  /** d: ±1 per channel that the consuming Conv multiplies its input channels by; null when all are +1. */
  readonly signs: Float32Array | null;
}

/** The factors, or null when some slope is 0 or not finite (no fold possible). */
export function preluFactors(slopes: Float32Array): PreluFactors | null {
  if (!slopes.every((s) => s !== 0 && Number.isFinite(s))) return null;
  const c = slopes.length;
  const signs = new Float32Array(c);
  const linear = new Float32Array(c);
  const reluOfScaled = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    const s = slopes[i];
    const d = s > 1 ? -1 : 1;
    signs[i] = d;
    linear[i] = d * s;
    reluOfScaled[i] = (1 - s) / s;
  }
  return { linear, reluOfScaled, signs: signs.some((d) => d < 0) ? signs : null };
}

/**
 * The int8 form (quantize/x4fast-int8.ts): the same rewrite with a = d, so y' = d*y keeps the Conv's own
 * scale, and c/a = s - 1:
 *
 *   d*PRelu_s(y) = y' + Relu((s-1)*y')      (check: d = +1, s < 1: y' < 0 gives y' + (s-1)y' = s*y')
 *
 * Why another form: int8 quantizes each tensor with one scale for all 64 channels, and a = s shrinks a
 * channel with a small slope toward zero, where that one scale leaves it a few levels (measured on
 * x4fast, same calibration: 29 dB PSNR against fp32 with a = s, 36 dB with a = d). Any slope folds, 0 included.
 */
export function preluUnitFactors(slopes: Float32Array): PreluFactors | null {
  if (!slopes.every((s) => Number.isFinite(s))) return null;
  const signs = slopes.map((s) => (s > 1 ? -1 : 1));
  return { linear: signs, reluOfScaled: slopes.map((s) => s - 1), signs: signs.some((d) => d < 0) ? signs : null };
}

/** BatchNormalization as a plain per-channel scale (mean 0, var 1, epsilon 0: sqrt(var+eps) is exactly 1). */
function channelScale(g: GraphBuilder, name: string, y: string, scale: Float32Array): string {
  const c = scale.length;
  const zeros = new Float32Array(c);
  const ones = new Float32Array(c).fill(1);
  const inits = [g.init(name, scale, [c]), g.init(`${name}.bias`, zeros, [c]), g.init(`${name}.mean`, zeros, [c]), g.init(`${name}.var`, ones, [c])];
  return g.op('BatchNormalization', [y, ...inits], { epsilon: { f: 0 } });
}

/**
 * A per-channel scale as a depthwise 1x1 Conv: what int8 quantizes (ONNX Runtime fuses it with a
 * zero-point-0 QuantizeLinear after the Relu into one QLinearConv, the Relu becoming the clamp at 0).
 */
function depthwiseScale(g: GraphBuilder, name: string, y: string, scale: Float32Array): string {
  const c = scale.length;
  return g.op('Conv', [y, g.init(name, scale, [c, 1, 1, 1])], { group: c, kernel_shape: [1, 1] });
}

/** How the channel scale is written: BatchNormalization for the fp32 NCHWc path, a depthwise Conv for int8. */
export type ChannelScaleOp = 'batchnorm' | 'depthwise';

/** `scaled` is the producing Conv's output already multiplied by `f.linear`; returns d*PRelu_s(y). */
export function preluOnScaledConv(g: GraphBuilder, name: string, scaled: string, f: PreluFactors, scaleOp: ChannelScaleOp = 'batchnorm'): string {
  const scale = scaleOp === 'batchnorm' ? channelScale : depthwiseScale;
  const r = g.op('Relu', [scale(g, `${name}.relu_scale`, scaled, f.reluOfScaled)]);
  return g.op('Add', [scaled, r]);
}

/** Multiplies output channel o of an [out, ...] weight (and bias) by scale[o]; copies. */
export function scaleOutputChannels(weight: Float32Array, bias: Float32Array | null, scale: Float32Array): { weight: Float32Array; bias: Float32Array | null } {
  const k = weight.length / scale.length;
  return { weight: weight.map((v, i) => v * scale[Math.floor(i / k)]), bias: bias ? bias.map((b, o) => b * scale[o]) : null };
}

/** Multiplies input channel i of an [out, inCh, kh, kw] weight by signs[i]; copies. */
export function signInputChannels(weight: Float32Array, out: number, signs: Float32Array): Float32Array {
  const k = weight.length / (out * signs.length);
  return weight.map((v, j) => v * signs[Math.floor(j / k) % signs.length]);
}
