/**
 * fp16 -> fp32 for any ONNX model (the SD-Turbo exports are fp16; the CPU provider lacks fp16
 * kernels for many ops and is faster in fp32). Converts initializers (inline, int32_data-packed or
 * external), tensor attributes, Cast/dtype targets and the declared input/output/value types, in
 * subgraphs too. Large results are written with external data (protobuf caps a file at 2 GB).
 */
import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import { halfToFloat } from './fp16.js';
import { DT } from './onnx-graph.js';
import { decodeModel, encodeModel } from './onnx-read.js';

type Tensor = onnxProto.onnx.ITensorProto;
type Graph = onnxProto.onnx.IGraphProto;

const EXTERNAL = 1;

export interface Fp32Result {
  convertedTensors: number;
  convertedTypes: number;
  externalFile: string | null;
}

function externalInfo(t: Tensor): { location: string; offset: number; length: number } {
  const kv = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  return { location: kv.get('location') ?? '', offset: Number(kv.get('offset') ?? 0), length: Number(kv.get('length') ?? -1) };
}

function readExternal(t: Tensor, modelDir: string, count: number, bytesPer: number): Uint8Array {
  const { location, offset, length } = externalInfo(t);
  if (!location || location.includes('..')) throw new Error(`tensor ${t.name}: bad external data location "${location}"`);
  const n = length >= 0 ? length : count * bytesPer;
  const buf = Buffer.alloc(n);
  const fd = openSync(join(modelDir, location), 'r');
  try {
    if (readSync(fd, buf, 0, n, offset) !== n) throw new Error(`tensor ${t.name}: external data ${location} is shorter than expected`);
  } finally {
    closeSync(fd);
  }
  return buf;
}

function elementCount(t: Tensor): number {
  return (t.dims ?? []).reduce<number>((a, d) => a * Number(d), 1);
}

/** Converts one FLOAT16 tensor to FLOAT in place (data moves to raw_data). */
function tensorToFp32(t: Tensor, modelDir: string): boolean {
  if (t.dataType !== DT.FLOAT16) return false;
  const n = elementCount(t);
  const out = new Float32Array(n);
  if (t.dataLocation === EXTERNAL) {
    const raw = readExternal(t, modelDir, n, 2);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
    t.dataLocation = 0;
    t.externalData = [];
  } else if (t.rawData && t.rawData.length > 0) {
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
  } else {
    // ONNX stores fp16 in int32_data as the low 16 bits of each element.
    const packed = t.int32Data ?? [];
    for (let i = 0; i < n; i++) out[i] = halfToFloat(packed[i] & 0xffff);
    t.int32Data = [];
  }
  t.dataType = DT.FLOAT;
  t.rawData = new Uint8Array(out.buffer);
  return true;
}

function convertGraph(g: Graph, modelDir: string, stats: Fp32Result): void {
  for (const t of g.initializer ?? []) if (tensorToFp32(t, modelDir)) stats.convertedTensors += 1;
  for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) {
    const tt = v.type?.tensorType;
    if (tt && tt.elemType === DT.FLOAT16) {
      tt.elemType = DT.FLOAT;
      stats.convertedTypes += 1;
    }
  }
  for (const node of g.node ?? []) {
    for (const a of node.attribute ?? []) {
      if ((a.name === 'to' || a.name === 'dtype') && Number(a.i) === DT.FLOAT16) {
        a.i = DT.FLOAT;
        stats.convertedTypes += 1;
      }
      if (a.t && tensorToFp32(a.t, modelDir)) stats.convertedTensors += 1;
      for (const t of a.tensors ?? []) if (tensorToFp32(t, modelDir)) stats.convertedTensors += 1;
      if (a.g) convertGraph(a.g, modelDir, stats);
      for (const sub of a.graphs ?? []) convertGraph(sub, modelDir, stats);
    }
  }
}

/** Moves initializers bigger than `minBytes` (1 KB normally) into `<model>.data` next to the model. */
function externalize(g: Graph, dataPath: string, minBytes: number): void {
  const fd = openSync(dataPath, 'w');
  let offset = 0;
  try {
    for (const t of g.initializer ?? []) {
      const raw = t.rawData;
      if (!raw || raw.length <= minBytes || t.dataLocation === EXTERNAL) continue;
      writeSync(fd, raw, 0, raw.length, offset);
      t.externalData = [
        { key: 'location', value: basename(dataPath) },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(raw.length) },
      ];
      t.dataLocation = EXTERNAL;
      t.rawData = new Uint8Array(0);
      offset += raw.length;
    }
  } finally {
    closeSync(fd);
  }
}

function inlineBytes(g: Graph): number {
  return (g.initializer ?? []).reduce((s, t) => s + (t.rawData?.length ?? 0), 0);
}

/**
 * Reads `src`, writes the fp32 model to `dest` (may equal `src` only via a temp path chosen by the
 * caller). External data referenced by `src` is read from src's folder; the result keeps no
 * reference to it unless the tensor was already fp32 and external (then the same file is kept).
 */
export function convertModelToFp32(src: string, dest: string, externalThreshold = 1 << 30): Fp32Result {
  const model = decodeModel(readFileSync(src));
  const stats: Fp32Result = { convertedTensors: 0, convertedTypes: 0, externalFile: null };
  if (!model.graph) throw new Error(`${src}: no graph`);
  convertGraph(model.graph, dirname(src), stats);
  if (inlineBytes(model.graph) > externalThreshold) {
    const dataPath = `${dest}.data`;
    externalize(model.graph, dataPath, Math.min(1024, externalThreshold));
    stats.externalFile = dataPath;
  }
  const bytes = encodeModel(model);
  const fd = openSync(dest, 'w');
  try {
    writeSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
  return stats;
}
