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
