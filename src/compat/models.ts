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

/** Model id for a checkpoint name, or null when none of the installed ones matches. */
export function resolveCheckpoint(name: string, installed: readonly string[]): string | null {
  const bare = name.trim().replace(/\s*\[[0-9a-f]{6,64}\]$/i, '').replace(/^.*[\\/]/, '')
    .replace(/\.(safetensors|ckpt|onnx|pt|bin)$/i, '').toLowerCase();
  return installed.find((id) => id === bare) ?? null;
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
