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

function intAttr(node: { attribute?: { name?: string | null; i?: unknown }[] | null }, name: string): number | null {
  const a = node.attribute?.find((x) => x.name === name);
  return a ? Number(a.i) : null;
}

function permIs10(node: { attribute?: { name?: string | null; ints?: unknown[] | null }[] | null }): boolean {
  const perm = node.attribute?.find((x) => x.name === 'perm')?.ints?.map(Number);
  return !perm || (perm.length === 2 && perm[0] === 1 && perm[1] === 0);
}

/** The flat module path → its weight initializer, for every MatMul, Gemm and Conv with a constant weight. */
export function indexWeights(model: OnnxModel): Map<string, WeightTarget> {
  const graph = model.graph;
  const inits = new Map((graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const producers = new Map<string, (typeof nodes)[number]>();
  const nodes = graph?.node ?? [];
  for (const n of nodes) for (const o of n.output ?? []) producers.set(o, n);
  const out = new Map<string, WeightTarget>();
  for (const node of nodes) {
    if (!WEIGHT_OPS.has(node.opType ?? '')) continue;
    const input = node.input?.[1] ?? '';
    let tensor = inits.get(input);
    // torch's layout unless the op reads it transposed: MatMul always, Gemm without transB.
    let transposed = node.opType === 'MatMul' || (node.opType === 'Gemm' && intAttr(node, 'transB') !== 1);
    if (!tensor) {
      // An un-folded export keeps `W.t()` as a Transpose of the named weight.
      const p = producers.get(input);
      if (p?.opType !== 'Transpose' || !permIs10(p)) continue;
      tensor = inits.get(p.input?.[0] ?? '');
      transposed = !transposed;
    }
    if (!tensor) continue;
    const layout: WeightLayout = transposed ? 'in-out' : 'out-in';
    const scope = scopeOf(node.name ?? '');
    if (scope) out.set(flatten(scope), { tensor, layout });
    const name = tensor.name ?? '';
    if (name.endsWith('.weight')) {
      const flat = flatten(name.slice(0, -'.weight'.length));
      if (!out.has(flat)) out.set(flat, { tensor, layout });
    }
  }
  return out;
}
