/**
 * Tiny hand-made tfjs graph models for the converter's unit tests: a builder that writes
 * model.json + one weight shard the way tfjs-converter lays them out (attributes in TensorFlow's
 * JSON form, weights back to back, optional float16 / uint8 / uint16 quantisation), and a runner
 * that converts one and runs it through src/runtime's SessionCache.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { floatsToHalves } from '../../src/models/convert/fp16.js';
import { tfjsToOnnx, type TfjsConversion, type TfjsConvertOptions } from '../../src/models/convert/tfjs/index.js';
import type { TfAttr, TfNode, WeightEntry } from '../../src/models/convert/tfjs/model-json.js';
import { chooseDevice, SessionCache, tensor } from '../../src/runtime/index.js';
import type { Nd } from './tfjs-reference.js';

export const attr = {
  s: (v: string): TfAttr => ({ s: Buffer.from(v).toString('base64') }),
  ints: (v: number[]): TfAttr => ({ list: { i: v.map(String) } }),
  strs: (v: string[]): TfAttr => ({ list: { s: v.map((s) => Buffer.from(s).toString('base64')) } }),
  b: (v: boolean): TfAttr => ({ b: v }),
  f: (v: number): TfAttr => ({ f: v }),
};

export type Quant = 'float16' | 'uint8' | 'uint16';

export class TinyTfjs {
  readonly nodes: TfNode[] = [];
  private readonly weights: WeightEntry[] = [];
  private readonly chunks: Uint8Array[] = [];
  private readonly inputs: Record<string, { name: string; dtype: string; tensorShape: { dim: { size: string }[] } }> = {};

  placeholder(name: string, shape: number[]): string {
    this.nodes.push({ name, op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: shape.map((d) => ({ size: String(d) })) } } } });
    this.inputs[name] = { name: `${name}:0`, dtype: 'DT_FLOAT', tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } };
    return name;
  }

  /** A float constant (optionally quantised as tfjs-converter does) or an int32 one. */
  constant(name: string, t: Nd | { shape: number[]; data: Int32Array }, quant?: Quant): string {
    const int = t.data instanceof Int32Array;
    this.nodes.push({ name, op: 'Const', attr: { dtype: { type: int ? 'DT_INT32' : 'DT_FLOAT' }, value: { tensor: { dtype: int ? 'DT_INT32' : 'DT_FLOAT' } } } });
    const entry: WeightEntry = { name, shape: t.shape, dtype: int ? 'int32' : 'float32' };
    let bytes: Uint8Array;
    if (quant === 'float16') {
      entry.quantization = { dtype: 'float16', original_dtype: 'float32' };
      bytes = new Uint8Array(floatsToHalves(t.data as Float32Array).buffer);
    } else if (quant) {
      const levels = quant === 'uint8' ? 255 : 65535;
      const min = Math.min(...t.data);
      const scale = (Math.max(...t.data) - min) / levels || 1;
      entry.quantization = { dtype: quant, scale, min };
      const q = Array.from(t.data, (v) => Math.round((v - min) / scale));
      bytes = quant === 'uint8' ? Uint8Array.from(q) : new Uint8Array(Uint16Array.from(q).buffer);
    } else {
      bytes = new Uint8Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength));
    }
    this.weights.push(entry);
    this.chunks.push(bytes);
    return name;
  }

  node(name: string, op: string, inputs: string[], attrs: Record<string, TfAttr> = {}): string {
    this.nodes.push({ name, op, input: inputs, attr: attrs });
    return name;
  }

  /** model.json and its shard bytes; `outputs`: signature key -> [node, shape]. */
  build(outputs: Record<string, [string, number[]]>, shards = 1): { json: Record<string, unknown>; files: Map<string, Uint8Array> } {
    const all = new Uint8Array(this.chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of this.chunks) {
      all.set(c, at);
      at += c.length;
    }
    // Shard boundaries fall anywhere, even inside a weight, as tfjs-converter's 4 MB split does.
    const files = new Map<string, Uint8Array>();
    const cut = Math.ceil(all.length / shards);
    for (let i = 0; i < shards; i++) files.set(`group1-shard${i + 1}of${shards}.bin`, all.subarray(i * cut, Math.min(all.length, (i + 1) * cut)));
    const json = {
      format: 'graph-model',
      generatedBy: 'hand',
      convertedBy: 'test',
      signature: {
        inputs: this.inputs,
        outputs: Object.fromEntries(Object.entries(outputs).map(([k, [node, shape]]) => [k, { name: `${node}:0`, dtype: 'DT_FLOAT', tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } }])),
      },
      modelTopology: { node: this.nodes, library: {}, versions: {} },
      weightsManifest: [{ paths: [...files.keys()], weights: this.weights.map((w) => ({ ...w })) }],
    };
    return { json, files };
  }
}

const sessions = new SessionCache({ device: chooseDevice('cpu'), intraOpThreads: 1 }, 2);
const dir = mkdtempSync(join(tmpdir(), 'backserv-tfjs-test-'));
let counter = 0;
afterAll(() => {
  sessions.clear();
  rmSync(dir, { recursive: true, force: true });
});

export function convertTiny(b: TinyTfjs, outputs: Record<string, [string, number[]]>, options: TfjsConvertOptions = {}, shards = 1): TfjsConversion {
  const { json, files } = b.build(outputs, shards);
  return tfjsToOnnx(json, (p) => {
    const f = files.get(p);
    if (!f) throw new Error(`no shard ${p}`);
    return f;
  }, options);
}

/** Runs a converted model on float inputs; returns every output by name. */
export async function runOnnx(conv: TfjsConversion, feeds: Record<string, Nd>): Promise<Record<string, Nd>> {
  const path = join(dir, `m${++counter}.onnx`);
  writeFileSync(path, conv.onnx);
  const session = await sessions.get(path);
  const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, tensor('float32', v.data, v.shape)])));
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { shape: t.dims.map(Number), data: t.data as Float32Array }]));
}

/** Converts and runs a one-input, one-output tiny model. */
export async function convertAndRun(b: TinyTfjs, x: Nd, out: [string, number[]]): Promise<Nd> {
  const conv = convertTiny(b, { y: out });
  return (await runOnnx(conv, { x }))['y'];
}
