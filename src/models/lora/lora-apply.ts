/**
 * A model component with LoRAs merged in, ready for a session: reads the ONNX file, finds the
 * layers (lora-targets.ts), merges (lora-merge.ts) and encodes it again. A model whose weights
 * live in side files (external data, for exports past 2 GB) is written as a hidden temporary file
 * beside the original, so the runtime finds those files where it would for the original (it
 * refuses side files outside the model's folder, links included); the file goes once loaded.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TaskError } from '../../tasks/task-errors.js';
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
  const tmp = join(dir, `.lora-${process.pid}-${randomBytes(6).toString('hex')}.onnx`);
  try {
    writeFileSync(tmp, bytes);
  } catch (err) {
    throw new TaskError('LoRAs on this model need its folder to be writable (its weights are in side files); ask the operator.', 'model_load_failed', { cause: err });
  }
  return { source: tmp, matched, cleanup: () => rmSync(tmp, { force: true }) };
}
