/**
 * One LoRA file read whole: its modules (kohya or diffusers naming, lora-keys.ts) with their down,
 * up and alpha as f32. A file with no module this reader understands is an error here, so a
 * mistyped or non-LoRA file is named as such instead of silently changing nothing.
 */
import { readFileSync } from 'node:fs';
import { indexLoraKeys } from './lora-keys.js';
import type { LoraModuleWeights } from './lora-merge.js';
import { parseHeader, readFloatTensor, SafetensorsError } from './safetensors.js';

export interface LoraFile {
  modules: LoraModuleWeights[];
  /** Tensors that were not understood (ignored). */
  unknown: number;
}

export function parseLora(bytes: Uint8Array): LoraFile {
  const header = parseHeader(bytes);
  const keys = indexLoraKeys(header);
  if (keys.modules.length === 0) {
    throw new SafetensorsError(`holds no LoRA weights in kohya (lora_unet_….lora_down.weight) or diffusers (unet.….lora_A.weight) naming (${header.tensors.size} tensors)`);
  }
  const modules = keys.modules.map((k) => {
    const alpha = k.alpha ? readFloatTensor(bytes, header, k.alpha).data[0] : null;
    return {
      keys: k,
      down: readFloatTensor(bytes, header, k.down),
      up: readFloatTensor(bytes, header, k.up),
      alpha: alpha !== undefined && Number.isFinite(alpha) && alpha !== null ? alpha : null,
    };
  });
  return { modules, unknown: keys.unknown.length };
}

export function readLoraFile(path: string): LoraFile {
  return parseLora(readFileSync(path));
}
