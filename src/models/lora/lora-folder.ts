/**
 * The LoRA folder (BACKSERV_LORA_DIR, default <models>/loras): `<name>.safetensors` files, a
 * request names one by its file name without the extension. Listing and the submit-time check
 * read headers only, so the API can answer a bad name or a broken file with a 400 at once.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { indexLoraKeys } from './lora-keys.js';
import { readHeaderFile, SafetensorsError } from './safetensors.js';
import { matchingModules } from './target-names.js';

export const LORA_EXT = '.safetensors';
/** A LoRA name: a file name stem, no path separators (so it cannot leave the folder). */
export const LORA_NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_. +-]{0,127}$';
const NAME = new RegExp(LORA_NAME_PATTERN);

export interface LoraListing {
  name: string;
  size_bytes: number;
}

export function listLoras(dir: string): LoraListing[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(LORA_EXT) && NAME.test(e.name.slice(0, -LORA_EXT.length)))
    .map((e) => ({ name: e.name.slice(0, -LORA_EXT.length), size_bytes: statSync(join(dir, e.name)).size }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The file of LoRA `name`, or null when it is not installed. */
export function loraPath(dir: string, name: string): string | null {
  if (!NAME.test(name)) return null;
  const path = join(dir, name + LORA_EXT);
  return existsSync(path) && statSync(path).isFile() ? path : null;
}

/**
 * Why LoRA `name` cannot be used (not installed, not a safetensors file, no LoRA keys, or, given
 * the model it would go into, no key matching a layer of it), or null when it looks usable.
 * Headers only: the tensors are read by the worker that merges them.
 */
export function loraProblem(dir: string, name: string, model?: { id: string; dir: string }): string | null {
  const path = loraPath(dir, name);
  if (!path) {
    const have = listLoras(dir).map((l) => l.name);
    return `no LoRA "${name}" is installed (installed: ${have.length ? have.slice(0, 20).join(', ') : 'none'})`;
  }
  try {
    const header = readHeaderFile(path);
    const keys = indexLoraKeys(header);
    if (keys.modules.length === 0) return `the LoRA "${name}" holds no LoRA weights in kohya or diffusers naming`;
    if (model && matchingModules(keys, model.dir) === 0) return noMatch(name, keys.modules.length, model.id);
  } catch (err) {
    if (err instanceof SafetensorsError) return `the LoRA "${name}" ${err.message}`;
    return `the LoRA "${name}" could not be read`;
  }
  return null;
}

/** The message for a LoRA none of whose modules matches the model (the door's and the worker's). */
export function noMatch(name: string, modules: number, modelId: string): string {
  return `none of the ${modules} layers of the LoRA "${name}" matches a layer of the model ${modelId} (a LoRA made for another base model?)`;
}
