/**
 * inswapper's `emap` (MODELS.md §4): the 512×512 matrix that maps an ArcFace embedding to the
 * swapper's latent is the graph's LAST initializer. The file is ~554 MB, so instead of decoding
 * the whole ModelProto we walk its protobuf fields from disk (models/onnx-file-fields.ts) (ModelProto.graph = 7,
 * GraphProto.initializer = 5), skipping everything else by length, and decode only that one
 * TensorProto with onnx-proto. The matrix is cached per model path.
 */
import { closeSync, openSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { FileCursor, fields } from '../../models/onnx-file-fields.js';
import { fallbackKernels } from '../../native/index.js';

const { onnx } = onnxProto;

const FLOAT = 1;
const FLOAT16 = 10;
const GRAPH_FIELD = 7;
const INITIALIZER_FIELD = 5;

export interface Emap {
  rows: number;
  cols: number;
  /** Row-major rows×cols. */
  data: Float32Array;
}

/** Where the last field number `wanted` of the message in [start, end) lies, if any. */
function lastField(c: FileCursor, start: number, end: number, wanted: number): { start: number; len: number } | null {
  let found: { start: number; len: number } | null = null;
  for (const f of fields(c, start, end)) if (f.num === wanted && f.wire === 2) found = { start: f.start, len: f.len };
  return found;
}

export function readLastInitializer(path: string): { name: string; dims: number[]; data: Float32Array } {
  const fd = openSync(path, 'r');
  try {
    const f = new FileCursor(fd);
    const graph = lastField(f, 0, f.size, GRAPH_FIELD);
    if (!graph) throw new RangeError(`${path}: no graph in the ONNX file`);
    const last = lastField(f, graph.start, graph.start + graph.len, INITIALIZER_FIELD);
    if (!last) throw new RangeError(`${path}: the graph has no initializers`);
    const { start: ts, len: tl } = last;
    const t = onnx.TensorProto.decode(f.bytes(ts, tl));
    const dims = t.dims.map((d) => Number(d));
    return { name: t.name, dims, data: tensorFloats(t, path) };
  } finally {
    closeSync(fd);
  }
}

function tensorFloats(t: onnxProto.onnx.TensorProto, path: string): Float32Array {
  const raw = t.rawData;
  if (t.dataType === FLOAT) {
    if (raw && raw.length > 0) {
      // Copy: raw_data need not be 4-byte aligned inside the decoded buffer.
      const out = new Float32Array(raw.length / 4);
      new Uint8Array(out.buffer).set(raw);
      return out;
    }
    return Float32Array.from(t.floatData);
  }
  if (t.dataType === FLOAT16 && raw && raw.length > 0) {
    const bits = new Uint16Array(raw.length / 2);
    new Uint8Array(bits.buffer).set(raw);
    return fallbackKernels.f16ToF32(bits);
  }
  throw new RangeError(`${path}: last initializer "${t.name}" has data type ${t.dataType}; expected float or float16 raw data`);
}

const cache = new Map<string, Emap>();

/** The swapper's emap, read once per model path per thread. */
export function loadEmap(path: string): Emap {
  const hit = cache.get(path);
  if (hit) return hit;
  const { name, dims, data } = readLastInitializer(path);
  if (dims.length !== 2 || dims[0] !== 512 || dims[1] !== 512 || data.length !== 512 * 512) {
    throw new RangeError(`${path}: last initializer "${name}" is [${dims.join(', ')}], expected the 512×512 emap`);
  }
  const emap = { rows: dims[0], cols: dims[1], data };
  cache.set(path, emap);
  return emap;
}
