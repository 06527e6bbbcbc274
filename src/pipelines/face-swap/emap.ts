/**
 * inswapper's `emap` (MODELS.md §4): the 512×512 matrix that maps an ArcFace embedding to the
 * swapper's latent is the graph's LAST initializer. The file is ~554 MB, so instead of decoding
 * the whole ModelProto we walk its protobuf fields from disk (ModelProto.graph = 7,
 * GraphProto.initializer = 5), skipping everything else by length, and decode only that one
 * TensorProto with onnx-proto. The matrix is cached per model path.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import onnxProto from 'onnx-proto';
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

/** Positional reads through a small window, so walking thousands of fields costs few syscalls. */
class FileBytes {
  private buf = Buffer.alloc(1 << 16);
  private start = 0;
  private end = 0;
  readonly size: number;
  constructor(private readonly fd: number) {
    this.size = fstatSync(fd).size;
  }
  byte(pos: number): number {
    if (pos < this.start || pos >= this.end) {
      if (pos >= this.size) throw new RangeError('emap: unexpected end of the ONNX file');
      this.start = pos;
      this.end = pos + readSync(this.fd, this.buf, 0, this.buf.length, pos);
    }
    return this.buf[pos - this.start];
  }
  slice(pos: number, len: number): Buffer {
    const out = Buffer.alloc(len);
    let done = 0;
    while (done < len) {
      const n = readSync(this.fd, out, done, len - done, pos + done);
      if (n === 0) throw new RangeError('emap: unexpected end of the ONNX file');
      done += n;
    }
    return out;
  }
}

/** Reads a varint at `pos`; returns [value, next position]. Lengths here fit in 2^53. */
function varint(f: FileBytes, pos: number): [number, number] {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    const b = f.byte(pos++);
    value += (b & 0x7f) * mul;
    if (b < 0x80) return [value, pos];
    mul *= 128;
  }
  throw new RangeError('emap: malformed varint in the ONNX file');
}

/** Calls `visit(field, start, length)` for each length-delimited field in [pos, end). */
function walk(f: FileBytes, pos: number, end: number, visit: (field: number, start: number, len: number) => void): void {
  while (pos < end) {
    const [tag, p] = varint(f, pos);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) pos = varint(f, p)[1];
    else if (wire === 1) pos = p + 8;
    else if (wire === 5) pos = p + 4;
    else if (wire === 2) {
      const [len, q] = varint(f, p);
      visit(field, q, len);
      pos = q + len;
    } else throw new RangeError(`emap: unsupported protobuf wire type ${wire}`);
  }
}

function lastField(f: FileBytes, pos: number, end: number, wanted: number): { start: number; len: number } | null {
  let found: { start: number; len: number } | null = null;
  walk(f, pos, end, (field, start, len) => {
    if (field === wanted) found = { start, len };
  });
  return found;
}

export function readLastInitializer(path: string): { name: string; dims: number[]; data: Float32Array } {
  const fd = openSync(path, 'r');
  try {
    const f = new FileBytes(fd);
    const graph = lastField(f, 0, f.size, GRAPH_FIELD);
    if (!graph) throw new RangeError(`${path}: no graph in the ONNX file`);
    const last = lastField(f, graph.start, graph.start + graph.len, INITIALIZER_FIELD);
    if (!last) throw new RangeError(`${path}: the graph has no initializers`);
    const { start: ts, len: tl } = last;
    const t = onnx.TensorProto.decode(f.slice(ts, tl));
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
