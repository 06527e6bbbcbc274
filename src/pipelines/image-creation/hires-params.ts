/**
 * image_creation's hires fix (A1111's "Hires. fix"): generate at width × height, upscale by
 * `scale` (the latents, or the decoded pixels through an installed image_upscale model), then run
 * img2img at the large size. The schema property, the typed settings, and the output size rule.
 * Light: the API process imports this through params.ts.
 */
import type { PropertySchema, TaskParams } from '../params/types.js';
import { TaskError } from '../../tasks/task-errors.js';

export const LATENT_UPSCALER = 'latent';
export const HIRES_DEFAULTS = Object.freeze({ scale: 2, strength: 0.7, upscaler: LATENT_UPSCALER });

export const hiresProperty: PropertySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    scale: { type: 'number', minimum: 1, maximum: 2, default: HIRES_DEFAULTS.scale, description: 'output size ÷ width × height (each side rounded to a multiple of 8)' },
    steps: { type: 'integer', minimum: 1, maximum: 100, description: 'denoising steps the second pass runs; default: the request\'s steps' },
    strength: { type: 'number', minimum: 0.01, maximum: 1, default: HIRES_DEFAULTS.strength, description: 'how much the second pass changes the upscaled image (0 keeps it, 1 ignores it)' },
    upscaler: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$', default: HIRES_DEFAULTS.upscaler, description: '"latent" (bilinear on the latents, no decode) or the id of an installed image_upscale model (the first pass is decoded, upscaled, resized and encoded again)' },
  },
  description: 'hires fix, text-to-image only: generate at width × height, upscale by scale, then img2img at the large size (steps, strength); default: none',
};

export interface HiresSettings {
  scale: number;
  /** Steps the second pass runs (its schedule is ⌈steps ÷ strength⌉ long). */
  steps: number;
  strength: number;
  /** 'latent' or an image_upscale model id. */
  upscaler: string;
}

/** A side times the scale, rounded to a multiple of 8 (at least 8). */
export function hiresSide(side: number, scale: number): number {
  return Math.max(8, Math.round((side * scale) / 8) * 8);
}

/** The schedule length whose last ⌊total × strength⌋ steps are exactly `steps` (diffusers' img2img rule). */
export function hiresSchedule(steps: number, strength: number): number {
  let total = Math.max(steps, Math.ceil(steps / strength - 1e-9));
  while (Math.floor(total * strength) < steps) total++;
  return total;
}

function field(h: Record<string, unknown>, key: string, kind: 'number' | 'integer' | 'string'): unknown {
  const v = h[key];
  if (v === undefined) return undefined;
  const ok = kind === 'string' ? typeof v === 'string' : typeof v === 'number' && Number.isFinite(v) && (kind === 'number' || Number.isInteger(v));
  if (!ok) throw new TaskError(`task_params.hires.${key} must be ${kind === 'string' ? 'a string' : `a${kind === 'integer' ? 'n integer' : ' number'}`}, got ${JSON.stringify(v)}`, 'invalid_params');
  return v;
}

/** null when the request has no hires; `steps` is the request's steps unless hires.steps says. */
export function parseHires(params: TaskParams, steps: number): HiresSettings | null {
  const h = params.hires;
  if (h === undefined) return null;
  if (h === null || typeof h !== 'object' || Array.isArray(h)) throw new TaskError(`task_params.hires must be an object, got ${JSON.stringify(h)}`, 'invalid_params');
  const o = h as Record<string, unknown>;
  const scale = (field(o, 'scale', 'number') as number | undefined) ?? HIRES_DEFAULTS.scale;
  if (scale < 1 || scale > 2) throw new TaskError(`task_params.hires.scale must be between 1 and 2, got ${scale}`, 'invalid_params');
  const strength = (field(o, 'strength', 'number') as number | undefined) ?? HIRES_DEFAULTS.strength;
  if (strength <= 0 || strength > 1) throw new TaskError(`task_params.hires.strength must be in (0, 1], got ${strength}`, 'invalid_params');
  if (params.init_image !== undefined) throw new TaskError('task_params.hires is for text-to-image; it cannot be combined with init_image', 'invalid_params');
  return {
    scale,
    steps: (field(o, 'steps', 'integer') as number | undefined) ?? steps,
    strength,
    upscaler: (field(o, 'upscaler', 'string') as string | undefined) ?? HIRES_DEFAULTS.upscaler,
  };
}
