/**
 * realesrgan-x4fast in int8 for CPUs with VNNI (AVX512-VNNI / AVX-VNNI): the same weights as
 * realesrgan-x4fast, quantized (int8 per channel, uint8 activations per tensor, bias-corrected) so
 * that ONNX Runtime runs every convolution as an NHWC QLinearConv and every PReLU as a depthwise
 * QLinearConv + QLinearAdd, with no float op or layout change between the first and last Conv.
 * The activation ranges come from calibration images (x4fast-int8-calibration.ts, written by
 * scripts/calibrate-x4fast-int8.ts), so the conversion itself is offline and deterministic.
 */
import { convertUpscaylModel } from '../ncnn-to-onnx.js';
import { decodeModel, encodeModel, type OnnxModel } from '../onnx-read.js';
import { uint8Params } from './activation-range.js';
import { consumersOf, insertQdq } from './qdq-graph.js';
import { X4FAST_INT8_CALIBRATION } from './x4fast-int8-calibration.js';

/** The fp32 graph the int8 model is made from (PReLUs in their int8 form: ncnn/prelu-rewrite.ts). */
export function x4fastInt8Source(): OnnxModel {
  return decodeModel(convertUpscaylModel('realesrgan-x4fast', { preluRewrite: 'int8' }));
}

/**
 * Which nodes run in int8: every Conv, and every Add of two activations read only by Convs (the
 * PReLUs' adds). The output's residual Add (upsampled input + network output) stays float.
 */
export function x4fastInt8Nodes(model: OnnxModel): Set<string> {
  const nodes = model.graph?.node ?? [];
  const initializers = new Set((model.graph?.initializer ?? []).map((t) => t.name ?? ''));
  const readers = consumersOf(nodes);
  const chosen = new Set<string>();
  for (const n of nodes) {
    const readBy = readers.get(n.output?.[0] ?? '') ?? [];
    const prelu = n.opType === 'Add' && (n.input ?? []).every((i) => !initializers.has(i)) && readBy.length > 0 && readBy.every((r) => r.opType === 'Conv');
    if (n.opType === 'Conv' || prelu) chosen.add(n.name ?? '');
  }
  return chosen;
}

export function convertX4fastInt8(): Uint8Array {
  const source = x4fastInt8Source();
  const cal = X4FAST_INT8_CALIBRATION;
  const activations = new Map(Object.entries(cal.ranges).map(([t, [lo, hi]]) => [t, uint8Params(lo, hi)]));
  const inputMeans = new Map(Object.entries(cal.means));
  return encodeModel(insertQdq(source, { nodes: x4fastInt8Nodes(source), activations, inputMeans }));
}
