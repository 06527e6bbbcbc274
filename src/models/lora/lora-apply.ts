/**
 * A model component with LoRAs merged in, ready for a session: reads the ONNX file, finds the
 * layers (lora-targets.ts), merges (lora-merge.ts) and encodes it again. A model whose weights
 * live in side files (external data, for exports past 2 GB) is written to a temporary folder
 * with links to those files, so the runtime resolves them as it would beside the original.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { decodeModel, encodeModel } from '../convert/onnx-read.js';
import { externalFiles } from '../convert/precision/external-data.js';
import type { LoraComponent } from './lora-keys.js';
import { mergeInto, type LoraToMerge } from './lora-merge.js';
import { indexWeights } from './lora-targets.js';

export interface MergedComponent {
  /** Model bytes, or the path of the merged model file (external data). */
  source: Uint8Array | string;
  cleanup?(): void;
  /** Per LoRA, how many of its modules matched a layer of this component. */
  matched: number[];
}

export function mergeComponent(modelPath: string, component: LoraComponent, loras: readonly LoraToMerge[]): MergedComponent {
  const model = decodeModel(readFileSync(modelPath));
  const dir = dirname(modelPath);
  const matched = mergeInto(indexWeights(model), component, loras, dir);
  const bytes = encodeModel(model);
  const sideFiles = model.graph ? externalFiles(model.graph) : [];
  if (sideFiles.length === 0) return { source: bytes, matched };
  const tmp = mkdtempSync(join(tmpdir(), 'backserv-lora-'));
  for (const location of sideFiles) {
    if (location.includes('..') || isAbsolute(location)) throw new Error(`external data location "${location}" leaves the model folder`);
    mkdirSync(dirname(join(tmp, location)), { recursive: true });
    symlinkSync(join(dir, location), join(tmp, location));
  }
  writeFileSync(join(tmp, 'model.onnx'), bytes);
  return { source: join(tmp, 'model.onnx'), matched, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}
