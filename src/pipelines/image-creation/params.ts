/**
 * image_creation's parameters: the task_params schema (bounds and descriptions; no default that
 * depends on the model) and `parse`, which applies every default once and returns the Settings
 * the pipeline runs on. A request that leaves out width/height gets the model's trained size, one
 * that gives them gets exactly those. The SD parts are shared with video_creation. Light: the API
 * process imports this file (schema, OpenAPI); no onnxruntime, sharp or pipeline code.
 */
import { optionalInt, optionalNumber, optionalOneOf, optionalString, requiredString } from '../params/read.js';
import { modelId, seed, text } from '../params/schema-parts.js';
import type { ModelLookup, ParamsModule, ParamsSchema, PropertySchema, TaskParams } from '../params/types.js';
import { TaskError } from '../../tasks/task-errors.js';
import { defaultsFor, MODEL_DEFAULTS, randomSeed, type ModelDefaults, type ResolvedDefaults, type SdModelInfo } from './defaults.js';
import { SCHEDULER_NAMES, type SchedulerName } from './schedulers/names.js';
import { editProperties, parseEdit, type EditSettings } from './edit-params.js';
import { MAX_SIDE } from './family.js';
import { hiresProperty, parseHires, type HiresSettings } from './hires-params.js';
import { checkInstalled, familyProblem } from './model-check.js';
import { parseSdxl, sdxlProperties, type SdxlSettings } from './sdxl-params.js';
import { lorasCrossCheck, lorasProperty, parseLoras, type LoraRequest } from './lora-params.js';

export const IMAGE_SIZE = { min: 64, max: 1024, multipleOf: 8 } as const;

/** "the model's (sd-turbo 1, sd15 25, …)", from the defaults table, so the document cannot drift from it. */
function perModel(key: keyof ModelDefaults): string {
  return `the model's (${Object.entries(MODEL_DEFAULTS).map(([id, d]) => `${id} ${d[key]}`).join(', ')})`;
}

export const dimension = (maximum: number, side: 'width' | 'height', cap = ''): PropertySchema => ({
  type: 'integer', minimum: IMAGE_SIZE.min, maximum, multipleOf: IMAGE_SIZE.multipleOf,
  description: `image ${side} in pixels; default: the size the model was trained at, declared by its unet/config.json, else ${perModel('size')}${cap}`,
});

export const prompt = text(2000, 1, 'what to generate');
export const negativePrompt = text(2000, 0, 'what to steer away from (takes effect with classifier-free guidance); default: none');

const schema: ParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['prompt'],
  properties: {
    prompt,
    negative_prompt: negativePrompt,
    width: dimension(MAX_SIDE.sdxl, 'width', `; at most ${IMAGE_SIZE.max} on SD 1.x/2.x models, ${MAX_SIDE.sdxl} on SDXL ones`),
    height: dimension(MAX_SIDE.sdxl, 'height', `; at most ${IMAGE_SIZE.max} on SD 1.x/2.x models, ${MAX_SIDE.sdxl} on SDXL ones`),
    steps: { type: 'integer', minimum: 1, maximum: 100, description: `denoising steps; default: ${perModel('steps')}` },
    guidance_scale: { type: 'number', minimum: 0, maximum: 30, description: `guidance scale: classifier-free guidance above 1 (LCM models take it as an embedding instead); default: ${perModel('guidanceScale')}` },
    seed,
    scheduler: { type: 'string', enum: [...SCHEDULER_NAMES], description: `sampler; default: ${perModel('scheduler')}` },
    model: modelId('image_creation'),
    loras: lorasProperty,
    ...editProperties,
    hires: hiresProperty,
    ...sdxlProperties,
  },
};

/** What both SD task types take from a request: the text, the size and the seed. */
export interface SdImageSettings {
  prompt: string;
  negativePrompt: string;
  width: number;
  height: number;
  seed: number;
  model: SdModelInfo;
}

/** An image_creation request after defaults: everything the pipeline needs, nothing optional. */
interface BaseCreationSettings extends SdImageSettings {
  steps: number;
  guidanceScale: number;
  scheduler: SchedulerName;
  /** LoRAs to merge into the UNet and text encoder (lora-params.ts); empty: none. */
  loras: LoraRequest[];
}

/** An image_creation request after defaults, with img2img, inpainting, outpainting, batch and preview settings (edit-params.ts). */
export type CreationSettings = BaseCreationSettings & EditSettings & {
  /** Hires fix (hires-params.ts); null when not asked for. */
  hires: HiresSettings | null;
  /* SDXL-only fields (sdxl-params.ts), their defaults when absent. */
} & SdxlSettings;

function side(params: TaskParams, field: 'width' | 'height', fallback: number): number {
  const v = optionalInt(params, field) ?? fallback;
  // The schema checks this at the door; repeated for callers that skip it (tests, bench).
  if (v < 8 || v % 8 !== 0) throw new TaskError(`${field} must be a positive multiple of 8, got ${v}`, 'invalid_params');
  return v;
}

/** The SD fields of a request; `maxSide` caps the model's size where the task type allows less (video). */
export function parseSdImage(params: TaskParams, model: SdModelInfo, defaults: ResolvedDefaults, maxSide: number = IMAGE_SIZE.max): SdImageSettings {
  return {
    prompt: requiredString(params, 'prompt'),
    negativePrompt: optionalString(params, 'negative_prompt') ?? '',
    width: side(params, 'width', Math.min(defaults.width, maxSide)),
    height: side(params, 'height', Math.min(defaults.height, maxSide)),
    seed: optionalInt(params, 'seed') ?? randomSeed(),
    model,
  };
}

/** The installed model the request runs on (task_params.model or the preferred one) and its defaults. */
export function sdModel(params: TaskParams, lookup: ModelLookup<SdModelInfo>): { model: SdModelInfo; defaults: ResolvedDefaults } {
  const model = lookup(optionalString(params, 'model'));
  return { model, defaults: defaultsFor(model) };
}

export function parse(params: TaskParams, lookup: ModelLookup<SdModelInfo>): CreationSettings {
  const { model, defaults } = sdModel(params, lookup);
  const steps = optionalInt(params, 'steps') ?? defaults.steps;
  const family = model.family ?? 'sd';
  const settings: CreationSettings = {
    ...parseSdImage(params, model, defaults, MAX_SIDE[family]),
    steps,
    guidanceScale: optionalNumber(params, 'guidance_scale') ?? defaults.guidanceScale,
    scheduler: optionalOneOf(params, 'scheduler', SCHEDULER_NAMES) ?? defaults.scheduler,
    loras: parseLoras(params),
    ...parseEdit(params, steps),
    hires: parseHires(params, steps),
    ...parseSdxl(params),
  };
  // The door checked these against the model it saw; repeated on the size the model's defaults give.
  const problem = familyProblem(params, model.id, family, settings);
  if (problem) throw new TaskError(problem, 'invalid_params');
  const o = settings.outpaint;
  const max = MAX_SIDE[family];
  if (o && (settings.width + o.left + o.right > max || settings.height + o.top + o.bottom > max)) {
    // Knowable at the door only when width and height are given (crossCheck, model-check.ts); the model's default size is known here.
    throw new TaskError(`the outpainted canvas ${settings.width + o.left + o.right}×${settings.height + o.top + o.bottom} is over ${max} px on a side (task_params.outpaint)`, 'invalid_params');
  }
  return settings;
}

/** The outpainted canvas within the size limit, when width/height are given (else parse checks it on the model's size). */
function crossCheck(params: TaskParams): string | null {
  const loras = lorasCrossCheck(params);
  if (loras) return loras;
  const o = params.outpaint as Record<string, number | undefined> | undefined;
  if (o) {
    const w = typeof params.width === 'number' ? params.width + (o.left ?? 0) + (o.right ?? 0) : 0;
    const h = typeof params.height === 'number' ? params.height + (o.top ?? 0) + (o.bottom ?? 0) : 0;
    // The SDXL limit here; model-check.ts holds an SD 1.x/2.x model to its own.
    if (w > MAX_SIDE.sdxl || h > MAX_SIDE.sdxl) return `task_params.outpaint grows the canvas over ${MAX_SIDE.sdxl} px on a side.`;
  }
  if (params.hires !== undefined && params.init_image !== undefined) return 'task_params.hires is for text-to-image; it cannot be combined with init_image.';
  return null;
}

export const imageCreationParams: ParamsModule<CreationSettings, SdModelInfo> = { schema, crossCheck, parse, modelCheck: checkInstalled };
