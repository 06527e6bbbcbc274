/**
 * ONNX external data: tensors whose bytes live in a side file (`location`, `offset`, `length`
 * entries), which exports use for anything past protobuf's 2 GB cap. Precision converters read
 * such tensors into memory, then write every large initializer to one new side file named after
 * the final model, so a converted model never points at the file it was converted from.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type onnxProto from 'onnx-proto';
import { graphsDeep } from './graph-walk.js';

export type Tensor = onnxProto.onnx.ITensorProto;
export type Graph = onnxProto.onnx.IGraphProto;

export const EXTERNAL = 1;

interface ExternalInfo {
  location: string;
  offset: number;
  length: number;
}

export function externalInfo(t: Tensor): ExternalInfo {
  const kv = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  return { location: kv.get('location') ?? '', offset: Number(kv.get('offset') ?? 0), length: Number(kv.get('length') ?? -1) };
}

export function elementCount(t: Tensor): number {
  return (t.dims ?? []).reduce<number>((a, d) => a * Number(d), 1);
}

/** Gives `t` new inline contents: `bytes` as raw_data of `dataType`, no side file, no typed fields. */
export function setRawData(t: Tensor, dataType: number, bytes: Uint8Array): void {
  t.dataLocation = 0;
  t.externalData = [];
  t.floatData = [];
  t.int32Data = [];
  t.dataType = dataType;
  t.rawData = bytes;
}

/** The external bytes of `t`, read from `modelDir`. Locations may not leave that folder. */
export function readExternal(t: Tensor, modelDir: string, bytesPer: number): Uint8Array {
  const { location, offset, length } = externalInfo(t);
  if (!location || location.includes('..') || location.startsWith('/')) throw new Error(`tensor ${t.name}: bad external data location "${location}"`);
  const n = length >= 0 ? length : elementCount(t) * bytesPer;
  const buf = Buffer.alloc(n);
  const fd = openSync(join(modelDir, location), 'r');
  try {
    if (readSync(fd, buf, 0, n, offset) !== n) throw new Error(`tensor ${t.name}: external data ${location} is shorter than expected`);
  } finally {
    closeSync(fd);
  }
  return buf;
}

/** The side files `g` (and its subgraphs) read from. */
export function externalFiles(g: Graph): string[] {
  const files = new Set<string>();
  for (const graph of graphsDeep(g)) {
    for (const t of graph.initializer ?? []) if (t.dataLocation === EXTERNAL) files.add(externalInfo(t).location);
  }
  return [...files];
}

/** Bytes per element of the data types whose external data we may have to pull in. */
const BYTES_PER: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };

/** Brings every remaining external tensor of `g` (and its subgraphs' initializers) inline, as raw_data. */
export function internalizeAll(g: Graph, modelDir: string): void {
  for (const graph of graphsDeep(g)) {
    for (const t of graph.initializer ?? []) {
      if (t.dataLocation !== EXTERNAL) continue;
      setRawData(t, t.dataType ?? 0, readExternal(t, modelDir, BYTES_PER[t.dataType ?? 0] ?? 1));
    }
  }
}

export function inlineBytes(g: Graph): number {
  return (g.initializer ?? []).reduce((s, t) => s + (t.rawData?.length ?? 0), 0);
}

/**
 * Moves initializers bigger than `minBytes` into the file at `writePath`, recorded under the name
 * `location` (the file's final name beside the model: the caller may write to a temporary path
 * and rename it into place).
 */
export function externalize(g: Graph, writePath: string, location: string, minBytes: number): void {
  const fd = openSync(writePath, 'w');
  let offset = 0;
  try {
    for (const t of g.initializer ?? []) {
      const raw = t.rawData;
      if (!raw || raw.length <= minBytes || t.dataLocation === EXTERNAL) continue;
      writeSync(fd, raw, 0, raw.length, offset);
      t.externalData = [
        { key: 'location', value: location },
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
