/**
 * The safetensors format, read by hand: an 8-byte little-endian header length, a JSON header
 * (`{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {…}}`) and the raw
 * tensors after it, offsets counted from the end of the header. Only float dtypes are decoded
 * (LoRA weights are F32, F16 or BF16); every offset and size is checked against the file, so a
 * cut or crafted file is a SafetensorsError with a message fit for a client, never a crash.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { halvesToFloats } from '../convert/fp16.js';

export class SafetensorsError extends Error {}

/** Bytes per element of the dtypes this reader decodes. */
const FLOAT_SIZES: Readonly<Record<string, number>> = { F32: 4, F16: 2, BF16: 2, F64: 8 };
/** Headers beyond this are refused before they are read (the format's reference reader caps at 100 MB). */
const MAX_HEADER = 100 * 1024 * 1024;

export interface TensorEntry {
  dtype: string;
  shape: number[];
  /** Byte range inside the data section. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
  /** Where the data section starts in the file. */
  dataStart: number;
}

function headerLength(prefix: Uint8Array, fileSize: number): number {
  if (fileSize < 8) throw new SafetensorsError('is not a safetensors file (shorter than its 8-byte header length)');
  const n = Number(new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true));
  if (n < 2 || n > MAX_HEADER || 8 + n > fileSize) throw new SafetensorsError('is not a safetensors file (its header length does not fit the file)');
  return n;
}

function parseHeaderJson(text: string, dataSize: number): Omit<SafetensorsHeader, 'dataStart'> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SafetensorsError('is not a safetensors file (its header is not JSON)');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new SafetensorsError('is not a safetensors file (its header is not a JSON object)');
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw && typeof raw === 'object' && !Array.isArray(raw)) metadata = Object.fromEntries(Object.entries(raw).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const shape = e?.shape;
    const offsets = e?.data_offsets;
    const ok = typeof e?.dtype === 'string'
      && Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)
      && Array.isArray(offsets) && offsets.length === 2 && offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0);
    if (!ok) throw new SafetensorsError(`has a malformed header entry for tensor "${name.slice(0, 200)}"`);
    const [begin, end] = offsets as number[];
    if (begin > end || end > dataSize) throw new SafetensorsError(`has tensor "${name.slice(0, 200)}" outside the file (cut short?)`);
    const size = FLOAT_SIZES[e.dtype as string];
    const count = (shape as number[]).reduce((a, d) => a * d, 1);
    if (size !== undefined && count * size !== end - begin) throw new SafetensorsError(`has tensor "${name.slice(0, 200)}" whose byte size does not match its shape`);
    tensors.set(name, { dtype: e.dtype as string, shape: shape as number[], begin, end });
  }
  return { tensors, metadata };
}

/** The header of a whole file in memory. */
export function parseHeader(bytes: Uint8Array): SafetensorsHeader {
  const n = headerLength(bytes, bytes.length);
  const text = new TextDecoder('utf-8').decode(bytes.subarray(8, 8 + n));
  return { ...parseHeaderJson(text, bytes.length - 8 - n), dataStart: 8 + n };
}

/** The header of a file on disk, reading only the header (cheap enough for the API's submit check). */
export function readHeaderFile(path: string): SafetensorsHeader {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const prefix = new Uint8Array(8);
    readSync(fd, prefix, 0, Math.min(8, size), 0);
    const n = headerLength(prefix, size);
    const buf = new Uint8Array(n);
    readSync(fd, buf, 0, n, 8);
    return { ...parseHeaderJson(new TextDecoder('utf-8').decode(buf), size - 8 - n), dataStart: 8 + n };
  } finally {
    closeSync(fd);
  }
}

/** One tensor of a file in memory, as f32 (F32, F16, BF16 and F64 tensors; others are an error). */
export function readFloatTensor(bytes: Uint8Array, header: SafetensorsHeader, name: string): { shape: number[]; data: Float32Array } {
  const e = header.tensors.get(name);
  if (!e) throw new SafetensorsError(`has no tensor "${name}"`);
  // A copy into a fresh buffer: the data section need not be aligned for a typed-array view, and a
  // Node Buffer's slice() is a view into the whole file (or the shared pool), not a copy.
  const raw = new Uint8Array(e.end - e.begin);
  raw.set(bytes.subarray(header.dataStart + e.begin, header.dataStart + e.end));
  switch (e.dtype) {
    case 'F32':
      return { shape: e.shape, data: new Float32Array(raw.buffer, 0, raw.length / 4) };
    case 'F16':
      return { shape: e.shape, data: halvesToFloats(new Uint16Array(raw.buffer, 0, raw.length / 2)) };
    case 'BF16': {
      const halves = new Uint16Array(raw.buffer, 0, raw.length / 2);
      const words = new Uint32Array(halves.length);
      for (let i = 0; i < halves.length; i++) words[i] = halves[i] << 16;
      return { shape: e.shape, data: new Float32Array(words.buffer) };
    }
    case 'F64':
      return { shape: e.shape, data: Float32Array.from(new Float64Array(raw.buffer, 0, raw.length / 8)) };
    default:
      throw new SafetensorsError(`has tensor "${name}" of dtype ${e.dtype}, which is not a float type`);
  }
}
