/**
 * Turns chosen Conv and Add nodes of an fp32 ONNX graph into the QDQ form that ONNX Runtime fuses
 * into QLinearConv / QLinearAdd on the CPU: every activation a chosen node reads or writes goes
 * through QuantizeLinear → DequantizeLinear (uint8, one scale per tensor), Conv weights become int8
 * per output channel behind a DequantizeLinear, the bias int32. Where a chosen node's output is read
 * by one Relu only, the pair is quantized after the Relu (zero point 0: ORT folds the Relu away).
 * Nothing else changes, so the rest of the graph runs in float on the dequantized values.
 */
import onnxProto from 'onnx-proto';
import { dimsOf, floatValues, type OnnxModel } from '../onnx-read.js';
import type { ActivationParams } from './activation-range.js';
import { correctBias, quantizeBias, quantizeWeights } from './int8-weights.js';

type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;

/** ONNX TensorProto data types used here. */
const FLOAT = 1;
const UINT8 = 2;
const INT8 = 3;
const INT32 = 6;
const INT_ATTR = 2;

export interface QdqPlan {
  /** Names of the Conv and Add nodes to run in int8. */
  readonly nodes: ReadonlySet<string>;
  /** uint8 parameters of every tensor `quantizedTensors` names. */
  readonly activations: ReadonlyMap<string, ActivationParams>;
  /** Per-channel means of Conv inputs, for bias correction (optional per tensor). */
  readonly inputMeans?: ReadonlyMap<string, ArrayLike<number>>;
}

/** Each tensor's reading nodes. */
export function consumersOf(nodes: readonly NodeProto[]): Map<string, NodeProto[]> {
  const map = new Map<string, NodeProto[]>();
  for (const n of nodes) for (const i of n.input ?? []) map.set(i, [...(map.get(i) ?? []), n]);
  return map;
}

/** The activations that get a QuantizeLinear/DequantizeLinear pair when `nodes` are quantized. */
export function quantizedTensors(model: OnnxModel, nodes: ReadonlySet<string>): Set<string> {
  const graph = model.graph!;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const readers = consumersOf(graph.node ?? []);
  const tensors = new Set<string>();
  for (const n of graph.node ?? []) {
    if (!nodes.has(n.name ?? '')) continue;
    if (n.opType !== 'Conv' && n.opType !== 'Add') throw new Error(`int8: node ${n.name} is a ${n.opType}; only Conv and Add are quantized`);
    const activationInputs = n.opType === 'Conv' ? [n.input![0]] : n.input!;
    for (const i of activationInputs) if (!initializers.has(i)) tensors.add(i);
    const out = n.output![0];
    const next = readers.get(out) ?? [];
    tensors.add(next.length === 1 && next[0].opType === 'Relu' ? next[0].output![0] : out);
  }
  return tensors;
}

/** A new model (the input is not changed) with the chosen nodes in QDQ form. */
export function insertQdq(source: OnnxModel, plan: QdqPlan): OnnxModel {
  const model = onnxProto.onnx.ModelProto.decode(onnxProto.onnx.ModelProto.encode(source).finish());
  const graph = model.graph!;
  const tensors = quantizedTensors(model, plan.nodes);
  const missing = [...tensors].filter((t) => !plan.activations.has(t));
  if (missing.length) throw new Error(`int8: no calibrated range for ${missing.length} tensor(s) (${missing.slice(0, 3).join(', ')}…): the calibration does not match this graph`);
  const byName = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const added: TensorProto[] = [];
  const addInit = (name: string, dataType: number, dims: number[], data: ArrayBufferView): string => {
    added.push({ name, dataType, dims, rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) });
    return name;
  };
  const nodes: NodeProto[] = [];
  const dq = (t: string) => `${t}/dq`;
  const qdqPair = (t: string): void => {
    const p = plan.activations.get(t)!;
    const scale = addInit(`${t}/scale`, FLOAT, [], Float32Array.of(p.scale));
    const zero = addInit(`${t}/zero_point`, UINT8, [], Uint8Array.of(p.zeroPoint));
    nodes.push({ name: `${t}/Q`, opType: 'QuantizeLinear', input: [t, scale, zero], output: [`${t}/q`] });
    nodes.push({ name: `${t}/DQ`, opType: 'DequantizeLinear', input: [`${t}/q`, scale, zero], output: [dq(t)] });
  };
  const perChannelDq = (name: string, values: ArrayBufferView, type: number, dims: number[], scales: Float32Array): string => {
    const zeros = type === INT32 ? new Int32Array(scales.length) : new Int8Array(scales.length);
    const q = addInit(`${name}/quantized`, type, dims, values);
    const s = addInit(`${name}/scale`, FLOAT, [scales.length], scales);
    const z = addInit(`${name}/zero_point`, type, [scales.length], zeros);
    nodes.push({ name: `${name}/DQ`, opType: 'DequantizeLinear', input: [q, s, z], output: [dq(name)], attribute: [{ name: 'axis', type: INT_ATTR, i: 0 }] });
    return dq(name);
  };
  const graphInputs = new Set((graph.input ?? []).map((i) => i.name ?? ''));
  for (const t of tensors) if (graphInputs.has(t)) qdqPair(t);
  for (const n of graph.node ?? []) {
    if (n.opType === 'Conv' && plan.nodes.has(n.name ?? '')) {
      const [x, wName, bName] = n.input!;
      const w = byName.get(wName)!;
      const dims = dimsOf(w);
      const weights = floatValues(w);
      const q = quantizeWeights(weights, dims[0]);
      const inputs = [dq(x), perChannelDq(wName, q.values, INT8, dims, q.scales)];
      if (bName) {
        const means = plan.inputMeans?.get(x);
        const raw = floatValues(byName.get(bName)!);
        const bias = means ? correctBias(raw, weights, q, means) : raw;
        const b = quantizeBias(bias, plan.activations.get(x)!.scale, q.scales);
        inputs.push(perChannelDq(bName, b.values, INT32, [dims[0]], b.scales));
      }
      nodes.push({ ...n, input: inputs });
    } else {
      nodes.push({ ...n, input: (n.input ?? []).map((i) => (tensors.has(i) ? dq(i) : i)) });
    }
    for (const o of n.output ?? []) if (tensors.has(o)) qdqPair(o);
  }
  graph.node = nodes;
  const read = new Set(nodes.flatMap((n) => n.input ?? []));
  graph.initializer = [...(graph.initializer ?? []), ...added].filter((t) => read.has(t.name ?? ''));
  // QuantizeLinear/DequantizeLinear with per-axis scales need opset 13.
  for (const o of model.opsetImport ?? []) if (!o.domain && Number(o.version) < 13) o.version = 13;
  return model;
}
