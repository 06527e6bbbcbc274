/**
 * fp16 -> fp32 for any ONNX model (the SD-Turbo exports are fp16; the CPU provider lacks fp16
 * kernels for many ops and is faster in fp32). Converts initializers (inline, int32_data-packed or
 * external), tensor attributes, Cast/dtype targets and the declared input/output/value types, in
 * subgraphs too.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { halfToFloat } from '../fp16.js';
import { DT } from '../onnx-graph.js';
import { decodeModel } from '../onnx-read.js';
import { elementCount, EXTERNAL, externalFiles, readExternal, setRawData, type Graph, type Tensor } from './external-data.js';
import { graphsDeep } from './graph-walk.js';
import { writeConverted, type WriteOptions, type WriteResult } from './write-model.js';

export interface PrecisionResult extends WriteResult {
  convertedTensors: number;
  convertedTypes: number;
  /** Casts added around ops kept in fp32 and at kept float32 inputs/outputs (fp16 only). */
  insertedCasts: number;
}

/** Converts one FLOAT16 tensor to FLOAT in place (data moves to raw_data). */
function tensorToFp32(t: Tensor, modelDir: string): boolean {
  if (t.dataType !== DT.FLOAT16) return false;
  const n = elementCount(t);
  const out = new Float32Array(n);
  const raw = t.dataLocation === EXTERNAL ? readExternal(t, modelDir, 2) : t.rawData && t.rawData.length > 0 ? t.rawData : null;
  if (raw) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
  } else {
    // ONNX stores fp16 in int32_data as the low 16 bits of each element.
    const packed = t.int32Data ?? [];
    for (let i = 0; i < n; i++) out[i] = halfToFloat(packed[i] & 0xffff);
  }
  setRawData(t, DT.FLOAT, new Uint8Array(out.buffer));
  return true;
}

/** One graph's own tensors and types (the caller visits the subgraphs). */
function convertGraph(g: Graph, modelDir: string, stats: PrecisionResult): void {
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
    }
  }
}

/**
 * Reads `src` and writes its fp32 version to `dest` (a different path; see WriteOptions for
 * writing to a temporary one). External data is read from src's folder.
 */
export function convertModelToFp32(src: string, dest: string, opts: WriteOptions = {}): PrecisionResult {
  const model = decodeModel(readFileSync(src));
  if (!model.graph) throw new Error(`${src}: no graph`);
  const stats = { convertedTensors: 0, convertedTypes: 0, insertedCasts: 0 } as PrecisionResult;
  const sourceFiles = externalFiles(model.graph);
  for (const graph of graphsDeep(model.graph)) convertGraph(graph, dirname(src), stats);
  return Object.assign(stats, writeConverted(model, dirname(src), sourceFiles, dest, opts));
}
