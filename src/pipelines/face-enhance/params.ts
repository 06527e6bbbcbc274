/**
 * `face_enhance`, shared by face_swap and image_upscale: `true` (the first installed enhancer at
 * full strength) or `{model, blend, fidelity}`. The schema part, the cross-field rule, parse, and
 * the enhancer models a request needs (the API answers 400 at submit when none is installed).
 * Light: the API process imports this file.
 */
import { TaskError } from '../../tasks/task-errors.js';
import type { ModelNeed, PropertySchema, TaskParams } from '../params/types.js';

/** Manifest ids of the enhancers, in preference order (the manifest's `enhancer` role lists the same). */
export const FACE_ENHANCERS = ['gfpgan-1.4', 'codeformer'] as const;
export type FaceEnhancerId = (typeof FACE_ENHANCERS)[number];

/** blend 1: the enhancer's face as it comes; fidelity 0.5: CodeFormer's own default w. */
export const FACE_ENHANCE_DEFAULTS = Object.freeze({ blend: 1, fidelity: 0.5 });

export const faceEnhanceSchema: PropertySchema = {
  oneOf: [
    { type: 'boolean' },
    {
      type: 'object',
      additionalProperties: false,
      properties: {
        model: { type: 'string', enum: [...FACE_ENHANCERS] },
        blend: { type: 'number', minimum: 0, maximum: 1 },
        fidelity: { type: 'number', minimum: 0, maximum: 1 },
      },
    },
  ],
  description: 'restore each face with a face enhancer (faces aligned to the 512×512 FFHQ template, enhanced, blended back through a feathered mask): '
    + `true, or {model: ${FACE_ENHANCERS.map((m) => `"${m}"`).join(' | ')} (default: the first installed), `
    + `blend: 0–1 (share of the enhanced face; 0 changes nothing; default ${FACE_ENHANCE_DEFAULTS.blend}), `
    + `fidelity: 0–1 (CodeFormer only: 0 = strongest restoration, 1 = closest to the input; default ${FACE_ENHANCE_DEFAULTS.fidelity})}; `
    + 'needs an enhancer model installed (400 at submit otherwise); default: false',
};

export interface FaceEnhanceSettings {
  /** Undefined: the first installed enhancer. */
  model: FaceEnhancerId | undefined;
  blend: number;
  fidelity: number;
}

function wrong(detail: string): TaskError {
  return new TaskError(`task_params.face_enhance ${detail}`, 'invalid_params');
}

/** The rule across face_enhance's own fields that the schema cannot state; null when kept. */
export function faceEnhanceProblem(params: TaskParams): string | null {
  const v = params.face_enhance;
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (o.fidelity !== undefined && o.model !== undefined && o.model !== 'codeformer') {
    return 'task_params.face_enhance.fidelity goes with model "codeformer" only';
  }
  return null;
}

/** face_enhance as settings, or null when not asked for (absent or false). */
export function readFaceEnhance(params: TaskParams): FaceEnhanceSettings | null {
  const v = params.face_enhance;
  if (v === undefined || v === false) return null;
  if (v === true) return { model: undefined, ...FACE_ENHANCE_DEFAULTS };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw wrong(`must be true, false or an object, got ${JSON.stringify(v)}`);
  const o = v as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!['model', 'blend', 'fidelity'].includes(key)) throw wrong(`has an unknown field "${key}"`);
  if (o.model !== undefined && !(FACE_ENHANCERS as readonly unknown[]).includes(o.model)) throw wrong(`.model must be one of ${FACE_ENHANCERS.join(', ')}`);
  const unit = (key: 'blend' | 'fidelity'): number => {
    const x = o[key];
    if (x === undefined) return FACE_ENHANCE_DEFAULTS[key];
    if (typeof x !== 'number' || !(x >= 0 && x <= 1)) throw wrong(`.${key} must be a number within 0–1, got ${JSON.stringify(x)}`);
    return x;
  };
  const problem = faceEnhanceProblem(params);
  if (problem) throw new TaskError(problem, 'invalid_params');
  return { model: o.model as FaceEnhancerId | undefined, blend: unit('blend'), fidelity: unit('fidelity') };
}

/** What the request needs installed: one of the enhancers (the one named, or any). */
export function faceEnhanceNeeds(params: TaskParams): ModelNeed[] {
  const v = params.face_enhance;
  if (v === undefined || v === false) return [];
  const named = typeof v === 'object' && v !== null ? (v as Record<string, unknown>).model : undefined;
  const models = typeof named === 'string' ? [named] : [...FACE_ENHANCERS];
  return [{ field: 'face_enhance', what: typeof named === 'string' ? `the face enhancer "${named}"` : 'a face enhancer', models }];
}
