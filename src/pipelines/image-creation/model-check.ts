/**
 * image_creation's rules that depend on the installed models, checked at the door (400 naming the
 * field, nothing queued) and again by parse in the worker: SDXL-only fields and sizes (or an
 * outpainted canvas) over 1024 on an SD 1.x/2.x model, a hires output over the model's largest
 * side, and a hires upscaler that is neither "latent" nor an installed image_upscale model. Light: node:fs via family.ts only.
 */
import type { ModelRegistry } from '../../models/types.js';
import type { TaskParams } from '../params/types.js';
import { MAX_SIDE, sdFamily, type SdFamily } from './family.js';
import { hiresSide, HIRES_DEFAULTS, LATENT_UPSCALER } from './hires-params.js';
import { SDXL_ONLY_FIELDS } from './sdxl-params.js';

/** The rules that need only the model's family; null when the request keeps them. `size`: the output size when known. */
export function familyProblem(params: TaskParams, modelId: string, family: SdFamily, size?: { width: number; height: number }): string | null {
  if (family !== 'sdxl') {
    for (const f of SDXL_ONLY_FIELDS) if (params[f] !== undefined) return `task_params.${f} is for SDXL models; ${modelId} is not one.`;
  }
  const max = MAX_SIDE[family];
  for (const side of ['width', 'height'] as const) {
    const v = size?.[side] ?? params[side];
    if (typeof v === 'number' && v > max) return `task_params.${side}: ${modelId} takes at most ${max} px a side (SDXL models up to ${MAX_SIDE.sdxl}), got ${v}.`;
  }
  const o = params.outpaint as Record<string, number | undefined> | undefined;
  const w = size?.width ?? params.width;
  const h = size?.height ?? params.height;
  if (o && typeof o === 'object' && typeof w === 'number' && typeof h === 'number') {
    const cw = w + (o.left ?? 0) + (o.right ?? 0);
    const ch = h + (o.top ?? 0) + (o.bottom ?? 0);
    if (cw > max || ch > max) return `task_params.outpaint grows the canvas to ${cw}×${ch}, over the ${max} px ${modelId} takes a side.`;
  }
  const hires = params.hires as Record<string, unknown> | undefined;
  if (hires && typeof hires === 'object') {
    const scale = typeof hires.scale === 'number' ? hires.scale : HIRES_DEFAULTS.scale;
    for (const side of ['width', 'height'] as const) {
      const v = size?.[side] ?? params[side];
      if (typeof v === 'number' && hiresSide(v, scale) > max) {
        return `task_params.hires.scale: ${v} × ${scale} is ${hiresSide(v, scale)} px, over the ${max} px ${modelId} takes a side.`;
      }
    }
  }
  return null;
}

/** The hires upscaler: "latent" or an installed image_upscale model; null when fine. */
export function upscalerProblem(params: TaskParams, models: Pick<ModelRegistry, 'resolve' | 'availability'>): string | null {
  const hires = params.hires as Record<string, unknown> | undefined;
  const u = hires && typeof hires === 'object' ? hires.upscaler : undefined;
  if (typeof u !== 'string' || u === LATENT_UPSCALER) return null;
  if (models.resolve('image_upscale', u)?.id === u) return null;
  const installed = models.availability().image_upscale.models.filter((m) => m.installed).map((m) => m.id);
  return `task_params.hires.upscaler: "${u}" is not an installed upscaler; use "${LATENT_UPSCALER}"${installed.length ? ` or one of ${installed.join(', ')}` : ''}.`;
}

/** The door's check: the model the task would run on (requested or preferred) and the upscaler. */
export function checkInstalled(params: TaskParams, models: Pick<ModelRegistry, 'resolve' | 'availability'>): string | null {
  const model = models.resolve('image_creation', typeof params.model === 'string' ? params.model : undefined);
  const problem = model ? familyProblem(params, model.id, sdFamily(model)) : null;
  return problem ?? upscalerProblem(params, models);
}
