/**
 * fp32 -> fp16 for any ONNX model: halves the weights' size and memory and lets a GPU use its
 * fp16 units (SD 1.5 is published in fp32). Float initializers, tensor attributes, Cast/dtype
 * targets and declared types become fp16, in subgraphs too. Ops without fp16 kernels in
 * onnxruntime stay fp32 behind inserted Casts, as do the inputs that must be float32 (Resize's
 * roi/scales; GroupNorm's gamma/beta); an initializer read only there is left in fp32. With
 * `keepIoTypes` the graph's inputs and outputs stay float32 (Casts at the edges), so a pipeline
 * written for the fp32 signature runs the converted model unchanged.
 *
 * Values beyond fp16's range are clamped to ±65504 (an attention mask's -1e9 or -inf becomes
 * -65504, which still vanishes after softmax); NaN stays NaN.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import onnxProto from 'onnx-proto';
import { floatToHalf } from '../fp16.js';
import { DT } from '../onnx-graph.js';
import { decodeModel } from '../onnx-read.js';
import { elementCount, EXTERNAL, externalFiles, readExternal, setRawData, type Graph, type Tensor } from './external-data.js';
import type { PrecisionResult } from './to-fp32.js';
import { graphsDeep, nodesDeep, subgraphsOf } from './graph-walk.js';
import { inferTypes, type TypeMap } from './value-types.js';
import { writeConverted, type WriteOptions } from './write-model.js';

type Node = onnxProto.onnx.INodeProto;
const ATTR = onnxProto.onnx.AttributeProto.AttributeType;

/** Ops kept in fp32: no fp16 kernels in onnxruntime, or too little precision (after onnxruntime's float16 tool). */
export const FP32_OPS: readonly string[] = [
  'ArrayFeatureExtractor', 'Binarizer', 'CastMap', 'CategoryMapper', 'DictVectorizer', 'FeatureVectorizer',
  'Imputer', 'LabelEncoder', 'LinearClassifier', 'LinearRegressor', 'Normalizer', 'OneHotEncoder',
  'RandomUniformLike', 'SVMClassifier', 'SVMRegressor', 'Scaler', 'TreeEnsembleClassifier',
  'TreeEnsembleRegressor', 'ZipMap', 'NonMaxSuppression', 'TopK', 'RoiAlign', 'Range', 'CumSum',
  'Min', 'Max', 'Upsample',
];

/** Inputs (by index) that must stay float32 even on ops that otherwise run in fp16. */
const FLOAT32_INPUTS: Record<string, readonly number[]> = { Resize: [1, 2], GroupNorm: [1, 2], SkipGroupNorm: [1, 2] };

const HALF_MAX = 65504;

export interface Fp16Options extends WriteOptions {
  keepIoTypes?: boolean;
  /** More op types to keep in fp32, beside FP32_OPS. */
  keepOps?: readonly string[];
}

function floatValues(t: Tensor, modelDir: string): Float32Array {
  const raw = t.dataLocation === EXTERNAL ? readExternal(t, modelDir, 4) : t.rawData && t.rawData.length > 0 ? t.rawData : null;
  if (!raw) return Float32Array.from(t.floatData ?? []);
  const out = new Float32Array(elementCount(t));
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

/** Converts one FLOAT tensor to FLOAT16 in place (data moves to raw_data, little-endian). */
function tensorToFp16(t: Tensor, modelDir: string): boolean {
  if (t.dataType !== DT.FLOAT) return false;
  const values = floatValues(t, modelDir);
  const halves = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    halves[i] = floatToHalf(v > HALF_MAX ? HALF_MAX : v < -HALF_MAX ? -HALF_MAX : v);
  }
  setRawData(t, DT.FLOAT16, new Uint8Array(halves.buffer));
  return true;
}

/** Names in use anywhere in the model, so inserted values never collide with existing ones. */
class Names {
  private readonly used = new Set<string>();

  constructor(g: Graph) {
    this.collect(g);
  }

  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  private collect(g: Graph): void {
    for (const graph of graphsDeep(g)) {
      for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) this.used.add(v.name ?? '');
      for (const t of graph.initializer ?? []) this.used.add(t.name ?? '');
      for (const n of graph.node ?? []) for (const x of [...(n.input ?? []), ...(n.output ?? [])]) this.used.add(x);
    }
  }
}

interface Ctx {
  modelDir: string;
  keepOps: Set<string>;
  names: Names;
  stats: PrecisionResult;
}

function castNode(input: string, output: string, to: number): Node {
  return { opType: 'Cast', name: `${output}_cast`, input: [input], output: [output], attribute: [{ name: 'to', type: ATTR.INT, i: to }] };
}

/** Names a node's subgraphs read, from the enclosing scope among them. */
function subgraphReads(node: Node): Set<string> {
  const reads = new Set<string>();
  for (const sub of subgraphsOf(node)) for (const n of nodesDeep(sub)) for (const x of n.input ?? []) reads.add(x);
  return reads;
}

/** Subgraphs read enclosing values by name: point them at the renamed (fp16) ones too. */
function renameOuterReads(node: Node, rename: ReadonlyMap<string, string>): void {
  for (const sub of subgraphsOf(node)) for (const n of nodesDeep(sub)) n.input = (n.input ?? []).map((x) => rename.get(x) ?? x);
}

function isFp32Slot(node: Node, index: number, ctx: Ctx): boolean {
  return ctx.keepOps.has(node.opType ?? '') || (FLOAT32_INPUTS[node.opType ?? ''] ?? []).includes(index);
}

/** Per value, whether each of its uses reads it in fp32 (an fp32 slot, a Cast, a kept float32 output). */
function fp32Uses(g: Graph, ctx: Ctx, keepIo: boolean): (name: string) => boolean {
  const uses = new Map<string, boolean[]>();
  const note = (name: string, fp32: boolean) => uses.set(name, [...(uses.get(name) ?? []), fp32]);
  for (const node of g.node ?? []) {
    (node.input ?? []).forEach((name, i) => name && note(name, !readsAsFp16(node, i, ctx)));
    for (const name of subgraphReads(node)) note(name, false);
  }
  for (const v of g.output ?? []) note(v.name ?? '', keepIo);
  return (name) => (uses.get(name) ?? []).length > 0 && (uses.get(name) ?? []).every(Boolean);
}

/**
 * Float values that stay fp32: initializers and Cast(to=float) outputs read only in fp32 (no
 * needless round trip). This is also what makes a second conversion change nothing.
 */
function fp32OnlyValues(g: Graph, types: TypeMap, onlyFp32: (name: string) => boolean): Set<string> {
  const keep = new Set<string>();
  const floatOnly = (name: string) => types.get(name) === DT.FLOAT && onlyFp32(name);
  for (const t of g.initializer ?? []) if (floatOnly(t.name ?? '')) keep.add(t.name ?? '');
  for (const node of g.node ?? []) {
    const out = node.output?.[0] ?? '';
    if (node.opType === 'Cast' && Number(node.attribute?.find((a) => a.name === 'to')?.i) === DT.FLOAT && floatOnly(out)) keep.add(out);
  }
  return keep;
}

/** Whether a consumer reads `index` as fp16 (a Cast takes any type, so it can read the float32 input itself). */
function readsAsFp16(node: Node, index: number, ctx: Ctx): boolean {
  return node.opType !== 'Cast' && !isFp32Slot(node, index, ctx);
}

/** Attributes of an fp16 node: tensors, Cast/dtype targets, subgraphs; ConstantOfShape's implicit fp32 zero. */
function convertAttributes(node: Node, types: TypeMap, ctx: Ctx): void {
  const attrs = node.attribute ?? [];
  for (const a of attrs) {
    if ((a.name === 'to' || a.name === 'dtype') && Number(a.i) === DT.FLOAT) {
      a.i = DT.FLOAT16;
      ctx.stats.convertedTypes += 1;
    }
    if (a.t && tensorToFp16(a.t, ctx.modelDir)) ctx.stats.convertedTensors += 1;
    for (const t of a.tensors ?? []) if (tensorToFp16(t, ctx.modelDir)) ctx.stats.convertedTensors += 1;
  }
  for (const sub of subgraphsOf(node)) convertGraph(sub, types, ctx, false);
  if (node.opType === 'Constant' && (attrs[0]?.name === 'value_float' || attrs[0]?.name === 'value_floats')) {
    const values = attrs[0].name === 'value_float' ? [attrs[0].f ?? 0] : (attrs[0].floats ?? []);
    const t: Tensor = { dataType: DT.FLOAT, dims: attrs[0].name === 'value_float' ? [] : [values.length], floatData: values };
    tensorToFp16(t, ctx.modelDir);
    node.attribute = [{ name: 'value', type: ATTR.TENSOR, t }];
    ctx.stats.convertedTensors += 1;
  }
  if (node.opType === 'ConstantOfShape' && !attrs.some((a) => a.name === 'value')) {
    node.attribute = [...attrs, { name: 'value', type: ATTR.TENSOR, t: { dataType: DT.FLOAT16, dims: [1], rawData: new Uint8Array(2) } }];
    ctx.stats.convertedTypes += 1;
  }
}

function setFloatTypes(values: onnxProto.onnx.IValueInfoProto[], skip: Set<string>, ctx: Ctx): void {
  for (const v of values) {
    const tt = v.type?.tensorType;
    if (tt && tt.elemType === DT.FLOAT && !skip.has(v.name ?? '')) {
      tt.elemType = DT.FLOAT16;
      ctx.stats.convertedTypes += 1;
    }
  }
}

function convertGraph(g: Graph, outer: TypeMap, ctx: Ctx, keepIo: boolean): void {
  const types = inferTypes(g, outer);
  const isFloat = (name: string) => types.get(name) === DT.FLOAT;
  const onlyFp32 = fp32Uses(g, ctx, keepIo);
  const keep32 = fp32OnlyValues(g, types, onlyFp32);
  for (const t of g.initializer ?? []) if (!keep32.has(t.name ?? '') && tensorToFp16(t, ctx.modelDir)) ctx.stats.convertedTensors += 1;

  const nodes: Node[] = [];
  const rename = new Map<string, string>();
  const addCast = (input: string, base: string, to: number): string => {
    const out = ctx.names.fresh(base);
    nodes.push(castNode(input, out, to));
    ctx.stats.insertedCasts += 1;
    return out;
  };
  if (keepIo) {
    const readBySubgraphs = new Set((g.node ?? []).flatMap((n) => [...subgraphReads(n)]));
    for (const v of g.input ?? []) {
      const name = v.name ?? '';
      if (!isFloat(name)) continue;
      keep32.add(name);
      const needed = readBySubgraphs.has(name) || (g.node ?? []).some((n) => (n.input ?? []).some((x, i) => x === name && readsAsFp16(n, i, ctx)));
      if (needed) rename.set(name, addCast(name, `${name}_fp16`, DT.FLOAT16));
    }
  }
  const fp32Copies = new Map<string, string>(); // one Cast per fp16 value read in fp32
  for (const node of g.node ?? []) {
    const original = [...(node.input ?? [])];
    node.input = original.map((name, i) => {
      if (!name) return name;
      if (isFp32Slot(node, i, ctx) && isFloat(name)) {
        if (keep32.has(name)) return name;
        const half = rename.get(name) ?? name;
        if (!fp32Copies.has(half)) fp32Copies.set(half, addCast(half, `${name}_fp32`, DT.FLOAT));
        return fp32Copies.get(half) as string;
      }
      return node.opType === 'Cast' && keep32.has(name) ? name : (rename.get(name) ?? name);
    });
    if (rename.size > 0) renameOuterReads(node, rename);
    if (ctx.keepOps.has(node.opType ?? '')) {
      const casts: [string, string][] = [];
      node.output = (node.output ?? []).map((name) => {
        if (!name || !isFloat(name)) return name;
        if (onlyFp32(name)) {
          keep32.add(name); // every reader takes fp32 (e.g. the Cast a first conversion added)
          return name;
        }
        const wide = ctx.names.fresh(`${name}_fp32`);
        casts.push([wide, name]);
        return wide;
      });
      nodes.push(node);
      for (const [wide, name] of casts) {
        nodes.push(castNode(wide, name, DT.FLOAT16));
        ctx.stats.insertedCasts += 1;
      }
      continue;
    }
    if (!keep32.has(node.output?.[0] ?? '')) convertAttributes(node, types, ctx);
    nodes.push(node);
  }

  const ioOutputs = new Set<string>();
  if (keepIo) {
    for (const v of g.output ?? []) {
      const name = v.name ?? '';
      if (!isFloat(name) || keep32.has(name)) continue;
      const half = ctx.names.fresh(`${name}_fp16`);
      for (const n of nodes) {
        n.output = (n.output ?? []).map((x) => (x === name ? half : x));
        n.input = (n.input ?? []).map((x) => (x === name ? half : x));
      }
      nodes.push(castNode(half, name, DT.FLOAT));
      ctx.stats.insertedCasts += 1;
      ioOutputs.add(name);
    }
  } else {
    setFloatTypes([...(g.input ?? []), ...(g.output ?? [])], keep32, ctx);
  }
  setFloatTypes(g.valueInfo ?? [], new Set([...keep32, ...ioOutputs]), ctx);
  g.node = nodes;
}

/**
 * Reads `src` and writes its fp16 version to `dest` (a different path; see WriteOptions for
 * writing to a temporary one). External data is read from src's folder.
 */
export function convertModelToFp16(src: string, dest: string, opts: Fp16Options = {}): PrecisionResult {
  const model = decodeModel(readFileSync(src));
  if (!model.graph) throw new Error(`${src}: no graph`);
  const stats = { convertedTensors: 0, convertedTypes: 0, insertedCasts: 0 } as PrecisionResult;
  const ctx: Ctx = { modelDir: dirname(src), keepOps: new Set([...FP32_OPS, ...(opts.keepOps ?? [])]), names: new Names(model.graph), stats };
  const sourceFiles = externalFiles(model.graph);
  convertGraph(model.graph, new Map(), ctx, opts.keepIoTypes ?? false);
  return Object.assign(stats, writeConverted(model, dirname(src), sourceFiles, dest, opts));
}
