/**
 * The installed image models as the compat APIs name them. A1111 clients pick checkpoints from
 * `sd-models` by `title` and send the title back (sometimes with " [hash]" or a file extension);
 * all of those resolve to the model id here.
 */
import type { ModelRegistry } from '../models/types.js';
import { loadManifest } from '../models/manifest.js';
import type { TaskType } from '../tasks/types.js';

/**
 * The installed models of one role of a task type (here or, in scale-out, on a live worker);
 * by default its primary role's, the ones a task's `model` field can name (an image_upscale
 * upscaler is never one of the face enhancers its optional `enhancer` role lists).
 */
export function installedModels(models: ModelRegistry, type: TaskType, role?: string): string[] {
  const candidates = roleModels(type, role);
  return models.availability()[type].models.filter((m) => m.installed && (candidates === null || candidates.has(m.id))).map((m) => m.id);
}

let roles: Map<string, Set<string>> | null = null;

/** Candidate ids of `role` (default: the first role) of a task type; null when the manifest cannot be read. */
function roleModels(type: TaskType, role: string | undefined): Set<string> | null {
  if (!roles) {
    roles = new Map();
    try {
      for (const [t, reqs] of Object.entries(loadManifest().tasks)) {
        reqs.forEach((r, i) => {
          roles!.set(`${t}/${r.role}`, new Set(r.models));
          if (i === 0) roles!.set(`${t}/`, new Set(r.models));
        });
      }
    } catch {
      // No manifest to read: every installed model is listed, as before roles existed.
      return role === undefined ? null : new Set();
    }
  }
  if (roles.size === 0) return role === undefined ? null : new Set();
  return roles.get(`${type}/${role ?? ''}`) ?? new Set();
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
