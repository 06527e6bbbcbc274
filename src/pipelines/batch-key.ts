/**
 * Cross-request batching's compatibility key, computed from a task's params when it is submitted
 * and stored with it, so a claim (the in-memory fair queue, or the Redis Lua claim) can pick tasks
 * that may share one UNet batch by comparing a string, without parsing params.
 *
 * Params are treated generically: every field except the ones each member keeps for itself
 * (prompt, negative prompt, seed, guidance value, batch size, preview cadence) goes into the key,
 * so model, size, steps, scheduler, LoRAs, hires settings and anything added later must be equal.
 * Guidance enters only as CFG on or off (a guided and an unguided task cannot share a batch; two
 * guided ones can, each row combined with its own value). A field left out and the same field
 * given at its default value make different keys: the default depends on the model, which only
 * the worker knows, so such tasks simply do not batch together.
 */
import { createHash } from 'node:crypto';
import type { TaskType } from '../tasks/types.js';

/** What each member of a batch keeps for itself. */
const MEMBER_FIELDS: ReadonlySet<string> = new Set(['prompt', 'negative_prompt', 'seed', 'guidance_scale', 'batch_size', 'preview_every']);

/**
 * Fields the batched run path applies. A task with any other field (an edit input, or a field a
 * newer pipeline feature added) gets no key and runs alone, rather than in a batch that would
 * ignore the field; extend this set once the batched path applies such a field.
 */
const BATCHABLE_FIELDS: ReadonlySet<string> = new Set([...MEMBER_FIELDS, 'model', 'width', 'height', 'steps', 'scheduler',
  // Editing settings that take effect only with init_image (which excludes the task): harmless.
  'strength', 'resize_mode', 'mask_blur', 'inpaint_full_res', 'padding', 'inpainting_fill']);

export interface BatchKey {
  /** Tasks with equal keys may share a UNet batch. */
  key: string;
  /** Images the task adds to a batch (its batch_size). */
  images: number;
}

/** JSON with object keys sorted at every level, so equal params always give the same text. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The key of a task, or null when it never batches (other task types, edit tasks, unknown fields). */
export function batchKeyOf(taskType: TaskType, params: Record<string, unknown>): BatchKey | null {
  if (taskType !== 'image_creation') return null;
  if (Object.keys(params).some((k) => params[k] !== undefined && !BATCHABLE_FIELDS.has(k))) return null;
  const shared: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) if (!MEMBER_FIELDS.has(k)) shared[k] = v;
  const g = params.guidance_scale;
  shared.cfg = typeof g === 'number' ? g > 1 : 'model default';
  const hash = createHash('sha256').update(stableJson(shared)).digest('base64url').slice(0, 22);
  const images = typeof params.batch_size === 'number' && params.batch_size >= 1 ? Math.floor(params.batch_size) : 1;
  return { key: `${taskType}:${hash}`, images };
}
