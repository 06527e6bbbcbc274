/**
 * The node list and initializer names of an ONNX file, read without its weights: the protobuf is
 * walked field by field from the file with positional reads, and every tensor's data (raw_data,
 * float_data, …, also a Constant node's tensor) is skipped by its length instead of read. A real
 * SD UNet export (1.7 GB, nearly all of it raw_data) costs its node section (a few MB) and a short
 * read per initializer; the API process can afford that, and never a full decode (onnx-read.ts).
 * Subgraphs (If/Loop bodies) are not entered: LoRA targets are top-level MatMul/Gemm/Conv nodes.
 */
import { closeSync, openSync } from 'node:fs';
import { FileCursor, fields } from '../onnx-file-fields.js';

export { OnnxScanError } from '../onnx-file-fields.js';

// Field numbers of onnx.proto3.
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5 } as const;
const ATTR = { name: 1, i: 3, ints: 8 } as const;
const TENSOR_NAME = 8;

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
