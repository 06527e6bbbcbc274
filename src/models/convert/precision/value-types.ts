/**
 * Element types of every value in a graph, before conversion. The fp16 converter must know which
 * values are float to put Casts around the ops it keeps in fp32; exports rarely carry full
 * value_info, so types are propagated through the nodes (ONNX keeps nodes in topological order)
 * with each op's typing rule, and declared types win where they exist.
 */
import type onnxProto from 'onnx-proto';
import { DT } from '../onnx-graph.js';
import type { Graph } from './external-data.js';

type Node = onnxProto.onnx.INodeProto;
export type TypeMap = Map<string, number>;

const BOOL = 9;
const INDEX_OUTPUTS = new Set(['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin', 'NonMaxSuppression']);
const BOOL_OUTPUTS = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf']);

function attrInt(node: Node, name: string): number | undefined {
  const a = node.attribute?.find((x) => x.name === name);
  return a ? Number(a.i) : undefined;
}

function attrOf(node: Node, name: string): onnxProto.onnx.IAttributeProto | undefined {
  return node.attribute?.find((x) => x.name === name);
}

function declared(g: Graph | null | undefined): number[] {
  return (g?.output ?? []).map((v) => v.type?.tensorType?.elemType ?? 0);
}

/** Output element types of one node given its input types (0 = unknown). */
function outputTypes(node: Node, types: TypeMap): number[] {
  const input = (i: number) => types.get(node.input?.[i] ?? '') ?? 0;
  const firstKnown = () => (node.input ?? []).map((n) => types.get(n) ?? 0).find((t) => t !== 0) ?? 0;
  const n = node.output?.length ?? 0;
  const all = (t: number) => Array.from({ length: n }, () => t);
  switch (node.opType) {
    case 'Cast':
      return all(attrInt(node, 'to') ?? 0);
    case 'CastLike':
      return all(input(1));
    case 'Constant': {
      const v = node.attribute?.[0];
      if (v?.t) return all(v.t.dataType ?? 0);
      return all(v?.name === 'value_float' || v?.name === 'value_floats' ? DT.FLOAT : v?.name?.startsWith('value_int') ? DT.INT64 : 0);
    }
    case 'ConstantOfShape':
      return all(attrOf(node, 'value')?.t?.dataType ?? DT.FLOAT);
    case 'RandomNormal':
    case 'RandomUniform':
      return all(attrInt(node, 'dtype') ?? DT.FLOAT);
    case 'RandomNormalLike':
    case 'RandomUniformLike':
    case 'EyeLike':
      return all(attrInt(node, 'dtype') ?? input(0));
    case 'Multinomial':
      return all(attrInt(node, 'dtype') ?? DT.INT32);
    case 'Where':
      return all(input(1));
    case 'DequantizeLinear':
      return all(input(1) || DT.FLOAT);
    case 'TopK':
    case 'MaxPool':
      return [input(0), DT.INT64].slice(0, n);
    case 'Unique':
      return [input(0), DT.INT64, DT.INT64, DT.INT64].slice(0, n);
    case 'Dropout':
      return [input(0), BOOL].slice(0, n);
    case 'If':
      return declared(attrOf(node, 'then_branch')?.g);
    case 'Loop':
      return declared(attrOf(node, 'body')?.g).slice(1);
    case 'Scan':
      return declared(attrOf(node, 'body')?.g);
    default:
      if (INDEX_OUTPUTS.has(node.opType ?? '')) return all(DT.INT64);
      if (BOOL_OUTPUTS.has(node.opType ?? '')) return all(BOOL);
      // Elementwise ops, reshapes, gathers, convolutions, ...: the data input's type.
      return all(firstKnown());
  }
}

/** Types of all values visible in `g`: `outer` (enclosing scopes), inputs, initializers, node outputs. */
export function inferTypes(g: Graph, outer: TypeMap = new Map()): TypeMap {
  const types: TypeMap = new Map(outer);
  const declaredTypes: TypeMap = new Map();
  for (const v of [...(g.input ?? []), ...(g.valueInfo ?? []), ...(g.output ?? [])]) {
    const t = v.type?.tensorType?.elemType;
    if (v.name && t) declaredTypes.set(v.name, t);
  }
  for (const v of g.input ?? []) if (v.name) types.set(v.name, declaredTypes.get(v.name) ?? 0);
  for (const t of g.initializer ?? []) if (t.name) types.set(t.name, t.dataType ?? 0);
  for (const node of g.node ?? []) {
    const out = outputTypes(node, types);
    (node.output ?? []).forEach((name, i) => {
      if (name) types.set(name, declaredTypes.get(name) ?? out[i] ?? 0);
    });
  }
  return types;
}
