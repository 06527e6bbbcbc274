/**
 * Other exports of the same SD test models, made by rewriting the generated ONNX graphs, so
 * the pipeline meets the signatures real exports have:
 * - `fp16`: every float input and output of every component is float16 (the SD-Turbo exports'
 *   interface), including a float16 timestep on float-timestep UNets. The graph casts at its
 *   boundary and computes in f32 inside (ORT's CPU provider lacks fp16 kernels for several
 *   ops the test graphs use), so it should match the f32 model to fp16 rounding.
 * - `optimum`: the current Optimum exporter's choices: int64 `input_ids` and a rank-0 timestep.
 * - `batch1`: a UNet whose batch dimension is fixed to 1 (so guidance cannot run as batch 2).
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { DT } from '../../src/models/convert/onnx-graph.js';
import { decodeModel, encodeModel } from '../../src/models/convert/onnx-read.js';

type Graph = onnxProto.onnx.IGraphProto;
type ValueInfo = onnxProto.onnx.IValueInfoProto;

const COMPONENTS = ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder'] as const;

function elemType(v: ValueInfo): number {
  return v.type?.tensorType?.elemType ?? 0;
}

function setElemType(v: ValueInfo, t: number): void {
  if (!v.type?.tensorType) throw new Error(`value ${v.name} is not a tensor`);
  v.type.tensorType.elemType = t;
}

/** Declares graph input `name` as `to` and casts it back to its old type at the top of the graph. */
function retypeInput(g: Graph, name: string, to: number): void {
  const input = (g.input ?? []).find((i) => i.name === name);
  if (!input) throw new Error(`no input ${name}`);
  const from = elemType(input);
  const inner = `${name}__orig`;
  for (const node of g.node ?? []) node.input = (node.input ?? []).map((n) => (n === name ? inner : n));
  setElemType(input, to);
  g.node = [{ opType: 'Cast', input: [name], output: [inner], name: `cast_in_${name}`, attribute: [{ name: 'to', type: 2, i: from }] }, ...(g.node ?? [])];
}

/** Declares graph output `name` as `to`, adding a Cast after the node that makes it. */
function retypeOutput(g: Graph, name: string, to: number): void {
  const output = (g.output ?? []).find((o) => o.name === name);
  if (!output) throw new Error(`no output ${name}`);
  const inner = `${name}__orig`;
  for (const node of g.node ?? []) {
    node.output = (node.output ?? []).map((n) => (n === name ? inner : n));
    node.input = (node.input ?? []).map((n) => (n === name ? inner : n));
  }
  setElemType(output, to);
  g.node = [...(g.node ?? []), { opType: 'Cast', input: [inner], output: [name], name: `cast_out_${name}`, attribute: [{ name: 'to', type: 2, i: to }] }];
}

function rewrite(path: string, edit: (g: Graph) => void): void {
  const model = decodeModel(readFileSync(path));
  if (!model.graph) throw new Error(`${path} has no graph`);
  edit(model.graph);
  writeFileSync(path, encodeModel(model));
}

/** Fixes dimension 0 of the named values to 1 (exports for runtimes without dynamic batch do this). */
function fixBatch1(g: Graph, names: readonly string[]): void {
  for (const v of [...(g.input ?? []), ...(g.output ?? [])]) {
    const dim = v.type?.tensorType?.shape?.dim;
    if (names.includes(v.name ?? '') && dim && dim.length > 0) dim[0] = { dimValue: 1 };
  }
}

/** Copies the model folder `src` to `dst` and rewrites it as `kind`. */
export function makeVariant(src: string, dst: string, kind: 'fp16' | 'optimum' | 'batch1'): void {
  cpSync(src, dst, { recursive: true, dereference: true });
  if (kind === 'batch1') {
    rewrite(join(dst, 'unet', 'model.onnx'), (g) => fixBatch1(g, ['sample', 'timestep', 'encoder_hidden_states', 'out_sample']));
    return;
  }
  for (const component of COMPONENTS) {
    rewrite(join(dst, component, 'model.onnx'), (g) => {
      if (kind === 'fp16') {
        for (const i of [...(g.input ?? [])]) if (elemType(i) === DT.FLOAT) retypeInput(g, i.name ?? '', DT.FLOAT16);
        for (const o of [...(g.output ?? [])]) if (elemType(o) === DT.FLOAT) retypeOutput(g, o.name ?? '', DT.FLOAT16);
        return;
      }
      if (component === 'text_encoder') retypeInput(g, 'input_ids', DT.INT64);
      if (component === 'unet') {
        const t = (g.input ?? []).find((i) => i.name === 'timestep');
        if (t?.type?.tensorType?.shape) t.type.tensorType.shape.dim = [];
      }
    });
  }
}
