/**
 * The installed image models as the compat APIs name them. A1111 clients pick checkpoints from
 * `sd-models` by `title` and send the title back (sometimes with " [hash]" or a file extension);
 * all of those resolve to the model id here.
 */
import type { ModelRegistry } from '../models/types.js';
import { loadManifest } from '../models/manifest.js';
import type { TaskType } from '../tasks/types.js';

/**
 * The installed models a task's `model` field can name: its primary role's (an image_upscale
 * "upscaler" is never one of the face enhancers its optional role also lists).
 */
export function installedModels(models: ModelRegistry, type: TaskType): string[] {
  const primary = primaryModels(type);
  return models.availability()[type].models.filter((m) => m.installed && (primary === null || primary.has(m.id))).map((m) => m.id);
}

let primaries: Map<TaskType, Set<string>> | null = null;

function primaryModels(type: TaskType): Set<string> | null {
  if (!primaries) {
    primaries = new Map();
    try {
      for (const [t, roles] of Object.entries(loadManifest().tasks)) primaries.set(t as TaskType, new Set(roles[0]?.models ?? []));
    } catch {
      // No manifest to read: every installed model is listed, as before roles existed.
    }
  }
  return primaries.get(type) ?? null;
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
