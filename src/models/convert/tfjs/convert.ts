/**
 * tfjs graph model -> ONNX. Walks the nodes the signature's outputs depend on, in dependency
 * order, and hands each to its op's converter (ops-*.ts); constants come from the weight shards,
 * dequantised to float32. The ONNX model keeps the tfjs signature (NHWC in, NHWC out, a dynamic
 * batch where tfjs has -1) and runs NCHW inside. An op without a converter stops the conversion
 * with an error naming the op and the node.
 */
import { DT, GraphBuilder, type Dim, type ElemType } from '../onnx-graph.js';
import { TfjsGraph, value } from './graph-context.js';
import { parseInputRef, parseModelJson, shapeDims, TfjsConvertError, type TfjsModelJson, type TfNode, type TfSignatureEntry } from './model-json.js';
import { CONV_OPS } from './ops-conv.js';
import { ELEMENTWISE_OPS, type OpHandler } from './ops-elementwise.js';
import { SHAPE_OPS } from './ops-shape.js';
import { SPATIAL_OPS } from './ops-spatial.js';
import { DENSE_OPS } from './ops-dense.js';
import { readWeights } from './weights.js';

const OPS: Record<string, OpHandler> = { ...CONV_OPS, ...ELEMENTWISE_OPS, ...SPATIAL_OPS, ...SHAPE_OPS, ...DENSE_OPS };

/** The TensorFlow ops this converter maps (besides Placeholder, Const and Identity). */
export const SUPPORTED_TFJS_OPS: readonly string[] = Object.keys(OPS).sort();

/** The project's ONNX writer default; nothing here needs a newer one. */
export const TFJS_ONNX_OPSET = 17;

export interface TfjsConvertOptions {
  graphName?: string;
  /** Graph input/output names: signature key -> ONNX name (default: the key without ":0"). */
  rename?: Record<string, string>;
}

export interface IoSpec {
  name: string;
  dtype: 'float32' | 'int32';
  dims: Dim[];
}

export interface TfjsConversion {
  onnx: Uint8Array;
  inputs: IoSpec[];
  outputs: IoSpec[];
  /** How many nodes of each TensorFlow op were converted. */
  ops: Record<string, number>;
}

const DTYPES: Record<string, { dtype: IoSpec['dtype']; elem: ElemType }> = {
  DT_FLOAT: { dtype: 'float32', elem: DT.FLOAT },
  DT_INT32: { dtype: 'int32', elem: DT.INT32 },
};

interface Io {
  key: string;
  onnxName: string;
  node: string;
  ref: string;
  dtype: IoSpec['dtype'];
  elem: ElemType;
  dims: Dim[];
}

function ioOf(key: string, entry: TfSignatureEntry, rename: Record<string, string>, fallbackShape: number[] | null): Io {
  const ref = parseInputRef(entry.name);
  const onnxName = rename[key] ?? key.replace(/:\d+$/, '');
  const type = DTYPES[entry.dtype ?? 'DT_FLOAT'];
  if (!type) throw new TfjsConvertError(`signature entry "${key}" has dtype ${entry.dtype}; only DT_FLOAT and DT_INT32 are supported`);
  const dims = shapeDims(entry.tensorShape) ?? fallbackShape;
  if (!dims) throw new TfjsConvertError(`signature entry "${key}" has no shape`);
  return {
    key, onnxName, node: ref.node, ref: `${ref.node}:${ref.index}`, ...type,
    dims: dims.map((d, i) => (d >= 0 ? d : i === 0 ? 'batch' : `${onnxName}_${i}`)),
  };
}

function signatureIo(model: TfjsModelJson, nodes: Map<string, TfNode>, rename: Record<string, string>): { inputs: Io[]; outputs: Io[] } {
  const sig = model.signature;
  if (!sig?.outputs || Object.keys(sig.outputs).length === 0) throw new TfjsConvertError('model.json has no signature outputs; the converter needs them to know what to compute');
  const placeholders = [...nodes.values()].filter((n) => n.op === 'Placeholder');
  const inputEntries: [string, TfSignatureEntry][] = sig.inputs && Object.keys(sig.inputs).length
    ? Object.entries(sig.inputs)
    : placeholders.map((p) => [p.name, { name: p.name, dtype: p.attr?.dtype?.type }]);
  const inputs = inputEntries.map(([k, e]) => ioOf(k, e, rename, shapeDims(nodes.get(parseInputRef(e.name).node)?.attr?.shape?.shape)));
  const outputs = Object.entries(sig.outputs).map(([k, e]) => ioOf(k, e, rename, null));
  return { inputs, outputs };
}

/** Nodes the outputs depend on, producers first (iterative DFS: graphs can be deep). */
function dependencyOrder(nodes: Map<string, TfNode>, roots: readonly string[]): TfNode[] {
  const order: TfNode[] = [];
  const state = new Map<string, 'open' | 'done'>();
  for (const root of roots) {
    const stack: { name: string; expanded: boolean }[] = [{ name: root, expanded: false }];
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (top.expanded) {
        stack.pop();
        if (state.get(top.name) !== 'done') {
          state.set(top.name, 'done');
          order.push(nodes.get(top.name) as TfNode);
        }
        continue;
      }
      if (state.get(top.name) === 'done') {
        stack.pop();
        continue;
      }
      const node = nodes.get(top.name);
      if (!node) throw new TfjsConvertError(`the graph refers to node "${top.name}", which model.json does not define`);
      top.expanded = true;
      state.set(top.name, 'open');
      for (const ref of node.input ?? []) {
        const { node: dep, control } = parseInputRef(ref);
        if (control) continue;
        if (state.get(dep) === 'open') throw new TfjsConvertError(`the graph has a cycle through "${dep}" (control flow is not supported)`);
        if (state.get(dep) !== 'done') stack.push({ name: dep, expanded: false });
      }
    }
  }
  return order;
}

/** Converts a parsed-or-raw model.json whose weight shards `readShard` supplies by path. */
export function tfjsToOnnx(json: unknown, readShard: (path: string) => Uint8Array, options: TfjsConvertOptions = {}): TfjsConversion {
  const model = parseModelJson(json);
  const nodes = new Map(model.modelTopology.node.map((n) => [n.name, n]));
  const weights = readWeights(model.weightsManifest, readShard);
  const { inputs, outputs } = signatureIo(model, nodes, options.rename ?? {});
  const g = new GraphBuilder(options.graphName ?? 'tfjs_model');
  const gr = new TfjsGraph(g);
  const counts: Record<string, number> = {};

  const inputsByNode = new Map(inputs.map((io) => [io.node, io]));
  const used = new Set<Io>();
  for (const node of dependencyOrder(nodes, outputs.map((o) => o.node))) {
    counts[node.op] = (counts[node.op] ?? 0) + 1;
    if (node.op === 'Placeholder') {
      const io = inputsByNode.get(node.name);
      if (!io) throw new TfjsConvertError(`Placeholder "${node.name}" is not a signature input`);
      used.add(io);
      gr.define(`${node.name}:0`, value(g.input(io.onnxName, io.elem, io.dims), 'tf', io.dims.length));
      continue;
    }
    if (node.op === 'Const') {
      const tensor = weights.get(node.name);
      if (!tensor) throw new TfjsConvertError(`Const "${node.name}" has no entry in the weights manifest (inline constants are not supported)`);
      gr.define(`${node.name}:0`, { kind: 'const', name: node.name, tensor });
      continue;
    }
    const ins = (node.input ?? []).filter((r) => !r.startsWith('^')).map((r) => gr.operand(r, node));
    if (node.op === 'Identity' || node.op === 'StopGradient') {
      gr.define(`${node.name}:0`, ins[0]);
      continue;
    }
    const handler = OPS[node.op];
    if (!handler) throw new TfjsConvertError(`tfjs op "${node.op}" (node "${node.name}") is not supported; supported ops: ${SUPPORTED_TFJS_OPS.join(', ')}`);
    gr.define(`${node.name}:0`, handler({ node, ins, gr }));
  }

  for (const io of outputs) {
    const o = gr.operand(io.ref, { name: io.onnxName, op: 'output' });
    g.op('Identity', [gr.asTf(o)], {}, io.onnxName);
    g.output(io.onnxName, io.elem, io.dims);
  }
  const spec = (io: Io): IoSpec => ({ name: io.onnxName, dtype: io.dtype, dims: io.dims });
  // A signature input that no output depends on is not part of the ONNX graph.
  return { onnx: g.encode(TFJS_ONNX_OPSET), inputs: inputs.filter((io) => used.has(io)).map(spec), outputs: outputs.map(spec), ops: counts };
}
