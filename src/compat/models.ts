/**
 * The installed image models as the compat APIs name them. A1111 clients pick checkpoints from
 * `sd-models` by `title` and send the title back (sometimes with " [hash]" or a file extension);
 * all of those resolve to the model id here.
 */
import type { ModelRegistry } from '../models/types.js';
import { loadManifest } from '../models/manifest.js';
import type { TaskType } from '../tasks/types.js';

export function installedModels(models: ModelRegistry, type: TaskType): string[] {
  return models.availability()[type].models.filter((m) => m.installed).map((m) => m.id);
}

/**
 * The official weight files' names (as an A1111 install titles them) → our ids, so a client that
 * kept a title from a real A1111 (e.g. "sd_xl_base_1.0.safetensors [31e35c80fc]") gets that model.
 */
const FILE_ALIASES: Readonly<Record<string, string>> = {
  'sd_xl_base_1.0': 'sdxl-base',
  'sd_xl_base_1.0_0.9vae': 'sdxl-base',
  'sd_xl_turbo_1.0': 'sdxl-turbo',
  'sd_xl_turbo_1.0_fp16': 'sdxl-turbo',
  sd_turbo: 'sd-turbo',
  'v1-5-pruned-emaonly': 'sd15',
};

/** Model id for a checkpoint name, or null when none of the installed ones matches. */
export function resolveCheckpoint(name: string, installed: readonly string[]): string | null {
  const bare = name.trim().replace(/\s*\[[0-9a-f]{6,64}\]$/i, '').replace(/^.*[\\/]/, '')
    .replace(/\.(safetensors|ckpt|onnx|pt|bin)$/i, '').toLowerCase();
  const id = installed.includes(bare) ? bare : FILE_ALIASES[bare];
  return id && installed.includes(id) ? id : null;
}

let hashes: Map<string, string | null> | null = null;

/** A1111's short hash (10 hex) of the model's main weights where the manifest knows it; else null. */
export function modelHash(id: string): string | null {
  if (!hashes) {
    hashes = new Map();
    try {
      for (const e of loadManifest().models) {
        const main = e.files.find((f) => f.path.startsWith('unet/')) ?? e.files[0];
        hashes.set(e.id, main?.sha256 ? main.sha256.slice(0, 10) : null);
      }
    } catch {
      // No manifest to read: hashes stay unknown, which A1111 also allows.
    }
  }
  return hashes.get(id) ?? null;
}
