/**
 * The node list and initializer names of an ONNX file, read without its weights: the protobuf is
 * walked field by field from the file with positional reads, and every tensor's data (raw_data,
 * float_data, …, also a Constant node's tensor) is skipped by its length instead of read. A real
 * SD UNet export (1.7 GB, nearly all of it raw_data) costs its node section (a few MB) and a short
 * read per initializer; the API process can afford that, and never a full decode (onnx-read.ts).
 * Subgraphs (If/Loop bodies) are not entered: LoRA targets are top-level MatMul/Gemm/Conv nodes.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface ScannedAttribute {
  name: string;
  i?: number;
  ints?: number[];
}

export interface ScannedNode {
  name: string;
  opType: string;
  input: string[];
  output: string[];
  attribute: ScannedAttribute[];
}

export interface ScannedGraph {
  nodes: ScannedNode[];
  initializers: Set<string>;
}

export class OnnxScanError extends Error {}

const WINDOW = 64 * 1024;
/** After a jump: enough for an initializer's dims, type and name (they come before its data). */
const JUMP = 4 * 1024;
// Field numbers of onnx.proto3.
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5 } as const;
const ATTR = { name: 1, i: 3, ints: 8 } as const;
const TENSOR_NAME = 8;

/** Positional reads through one small window (the scan moves forward, with jumps over tensor data). */
class FileCursor {
  private buf = new Uint8Array(WINDOW);
  private at = 0;
  private len = 0;
  readonly size: number;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly fd: number) {
    this.size = fstatSync(fd).size;
  }

  private byte(pos: number): number {
    if (pos < this.at || pos >= this.at + this.len) {
      if (pos >= this.size) throw new OnnxScanError('is cut short (a field runs past the end of the file)');
      this.fill(pos);
    }
    return this.buf[pos - this.at];
  }

  /** A read that carries on from the window takes a whole window; a jump (over tensor data) a short one. */
  private fill(pos: number, need = 1): void {
    const n = Math.max(need, pos === this.at + this.len ? WINDOW : JUMP);
    this.at = pos;
    this.len = readSync(this.fd, this.buf, 0, Math.min(n, this.size - pos), pos);
  }

  /** A varint at `pos` (up to 2^53, which every length and int64 this scan reads stays under) and where it ends. */
  varint(pos: number): [number, number] {
    let value = 0;
    let scale = 1;
    for (let k = 0; k < 10; k++) {
      const b = this.byte(pos++);
      value += (b & 0x7f) * scale;
      if (b < 0x80) return [value, pos];
      scale *= 128;
    }
    throw new OnnxScanError('holds a malformed varint');
  }

  text(pos: number, n: number): string {
    if (pos + n > this.size) throw new OnnxScanError('is cut short (a string runs past the end of the file)');
    if (n === 0) return '';
    if (n <= WINDOW) {
      if (pos < this.at || pos + n > this.at + this.len) this.fill(pos, n);
      return this.decoder.decode(this.buf.subarray(pos - this.at, pos - this.at + n));
    }
    const out = new Uint8Array(n);
    readSync(this.fd, out, 0, n, pos);
    return this.decoder.decode(out);
  }
}

interface Field {
  num: number;
  wire: number;
  /** Value for varints; else where the payload starts and its length. */
  value: number;
  start: number;
  len: number;
}

/** The fields of the message in [start, end), with payloads left in the file. */
function* fields(c: FileCursor, start: number, end: number): Generator<Field> {
  let pos = start;
  while (pos < end) {
    const [tag, p] = c.varint(pos);
    const num = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === 0) {
      const [value, q] = c.varint(p);
      yield { num, wire, value, start: p, len: q - p };
      pos = q;
    } else if (wire === 2) {
      const [len, q] = c.varint(p);
      yield { num, wire, value: 0, start: q, len };
      pos = q + len;
    } else if (wire === 1 || wire === 5) {
      const len = wire === 1 ? 8 : 4;
      yield { num, wire, value: 0, start: p, len };
      pos = p + len;
    } else {
      throw new OnnxScanError(`holds a protobuf field of wire type ${wire}, which ONNX does not use`);
    }
    if (pos > end) throw new OnnxScanError('is cut short (a message runs past its parent)');
  }
}

function attribute(c: FileCursor, start: number, end: number): ScannedAttribute {
  const a: ScannedAttribute = { name: '' };
  for (const f of fields(c, start, end)) {
    if (f.num === ATTR.name && f.wire === 2) a.name = c.text(f.start, f.len);
    else if (f.num === ATTR.i && f.wire === 0) a.i = f.value;
    else if (f.num === ATTR.ints && f.wire === 0) (a.ints ??= []).push(f.value);
    else if (f.num === ATTR.ints && f.wire === 2) {
      // Packed repeated int64.
      const ints = (a.ints ??= []);
      for (let p = f.start; p < f.start + f.len;) {
        const [v, q] = c.varint(p);
        ints.push(v);
        p = q;
      }
    }
    // Tensors (t), graphs (g) and the rest are skipped by their length.
  }
  return a;
}

function node(c: FileCursor, start: number, end: number): ScannedNode {
  const n: ScannedNode = { name: '', opType: '', input: [], output: [], attribute: [] };
  for (const f of fields(c, start, end)) {
    if (f.wire !== 2) continue;
    if (f.num === NODE.input) n.input.push(c.text(f.start, f.len));
    else if (f.num === NODE.output) n.output.push(c.text(f.start, f.len));
    else if (f.num === NODE.name) n.name = c.text(f.start, f.len);
    else if (f.num === NODE.opType) n.opType = c.text(f.start, f.len);
    else if (f.num === NODE.attribute) n.attribute.push(attribute(c, f.start, f.start + f.len));
  }
  return n;
}

function tensorName(c: FileCursor, start: number, end: number): string {
  for (const f of fields(c, start, end)) if (f.num === TENSOR_NAME && f.wire === 2) return c.text(f.start, f.len);
  return '';
}

/** The top-level graph's nodes and initializer names of the ONNX file at `path`. */
export function scanOnnxGraph(path: string): ScannedGraph {
  const fd = openSync(path, 'r');
  try {
    const c = new FileCursor(fd);
    const out: ScannedGraph = { nodes: [], initializers: new Set() };
    for (const top of fields(c, 0, c.size)) {
      if (top.num !== MODEL_GRAPH || top.wire !== 2) continue;
      for (const f of fields(c, top.start, top.start + top.len)) {
        if (f.wire !== 2) continue;
        if (f.num === GRAPH_NODE) out.nodes.push(node(c, f.start, f.start + f.len));
        else if (f.num === GRAPH_INITIALIZER) out.initializers.add(tensorName(c, f.start, f.start + f.len));
      }
    }
    return out;
  } finally {
    closeSync(fd);
  }
}
