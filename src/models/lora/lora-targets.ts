/**
 * Where each layer's weight lives in an exported ONNX graph, by the layer's flat module path.
 * torch's exporter does not keep a Linear's module name on its weight: the weight becomes a
 * folded, transposed constant (`onnx::MatMul_1234`, [in, out]) feeding a MatMul node that IS named
 * by module scope (`/down_blocks.0/attentions.0/transformer_blocks.0/attn1/to_q/MatMul`). So the
 * node's scope gives the module, its initializer input gives the weight, and the op (and a
 * Transpose in between, if any) gives the layout. Weights that keep their names (Conv's
 * `conv_in.weight`, a Gemm's `…fc.weight`) are found by name as well.
 */
import type { OnnxModel, OnnxTensor } from '../convert/onnx-read.js';
import { flatten } from './lora-keys.js';

/** `out-in`: torch's own layout ([out, in] or [out, in, kh, kw]); `in-out`: a MatMul's transposed [in, out]. */
export type WeightLayout = 'out-in' | 'in-out';

export interface WeightTarget {
  tensor: OnnxTensor;
  layout: WeightLayout;
}

const WEIGHT_OPS = new Set(['MatMul', 'Gemm', 'Conv']);

/** `/a.0/b/to_q/MatMul` → `a.0.b.to_q`; null for a name without a scope. */
export function scopeOf(nodeName: string): string | null {
  const parts = nodeName.split('/').filter(Boolean);
  return parts.length >= 2 ? parts.slice(0, -1).join('.') : null;
}

/** The fields of a graph node this index reads: a decoded NodeProto or a scanned one (onnx-scan.ts). */
export interface NodeLike {
  name?: string | null;
  opType?: string | null;
  input?: string[] | null;
  output?: string[] | null;
  attribute?: { name?: string | null; i?: unknown; ints?: unknown[] | null }[] | null;
}

function intAttr(node: NodeLike, name: string): number | null {
  const a = node.attribute?.find((x) => x.name === name);
  return a ? Number(a.i) : null;
}

function permIs10(node: NodeLike): boolean {
  const perm = node.attribute?.find((x) => x.name === 'perm')?.ints?.map(Number);
  return !perm || (perm.length === 2 && perm[0] === 1 && perm[1] === 0);
}

/**
 * The flat module path → its weight initializer (whatever `inits` maps a name to), for every
 * MatMul, Gemm and Conv with a constant weight. One rule for the merge (decoded tensors) and the
 * submit-time name index (names only), so both agree on what a LoRA key matches.
 */
export function locateWeights<T>(nodes: readonly NodeLike[], inits: ReadonlyMap<string, T>): Map<string, { tensor: T; layout: WeightLayout }> {
  const producers = new Map<string, NodeLike>();
  for (const n of nodes) for (const o of n.output ?? []) producers.set(o, n);
  const out = new Map<string, { tensor: T; layout: WeightLayout }>();
  for (const node of nodes) {
    if (!WEIGHT_OPS.has(node.opType ?? '')) continue;
    let input = node.input?.[1] ?? '';
    // torch's layout unless the op reads it transposed: MatMul always, Gemm without transB.
    let transposed = node.opType === 'MatMul' || (node.opType === 'Gemm' && intAttr(node, 'transB') !== 1);
    if (!inits.has(input)) {
      // An un-folded export keeps `W.t()` as a Transpose of the named weight.
      const p = producers.get(input);
      if (p?.opType !== 'Transpose' || !permIs10(p)) continue;
      input = p.input?.[0] ?? '';
      transposed = !transposed;
    }
    const tensor = inits.get(input);
    if (tensor === undefined) continue;
    const layout: WeightLayout = transposed ? 'in-out' : 'out-in';
    const scope = scopeOf(node.name ?? '');
    if (scope) out.set(flatten(scope), { tensor, layout });
    if (input.endsWith('.weight')) {
      const flat = flatten(input.slice(0, -'.weight'.length));
      if (!out.has(flat)) out.set(flat, { tensor, layout });
    }
  }
  return out;
}

/** locateWeights over a decoded model: the tensors the merge changes in place. */
export function indexWeights(model: OnnxModel): Map<string, WeightTarget> {
  const graph = model.graph;
  const inits = new Map((graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  return locateWeights(graph?.node ?? [], inits);
}
