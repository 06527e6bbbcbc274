/**
 * The request fields only SDXL models take: a second prompt pair for the second text encoder
 * (default: the first pair, as diffusers) and the micro-conditioning sizes that become the UNet's
 * `time_ids` (original size, crop top-left; the target size is the image's). Light: the API
 * process imports this through params.ts.
 */
import type { PropertySchema, TaskParams } from '../params/types.js';
import { TaskError } from '../../tasks/task-errors.js';
import { text } from '../params/schema-parts.js';

const side = (what: string): PropertySchema => ({ type: 'integer', minimum: 8, maximum: 4096, description: what });

export const sdxlProperties: Readonly<Record<string, PropertySchema>> = {
  prompt_2: text(2000, 0, 'SDXL only: the prompt for the second text encoder (OpenCLIP bigG); default: prompt'),
  negative_prompt_2: text(2000, 0, 'SDXL only: the negative prompt for the second text encoder; default: negative_prompt'),
  original_size: {
    type: 'object', additionalProperties: false, required: ['width', 'height'],
    properties: { width: side('pixels'), height: side('pixels') },
    description: 'SDXL only: the "original image size" the UNet is conditioned on (time_ids); default: the output size',
  },
  crop_top_left: {
    type: 'object', additionalProperties: false, required: ['top', 'left'], default: { top: 0, left: 0 },
    properties: { top: { type: 'integer', minimum: 0, maximum: 4096, description: 'pixels' }, left: { type: 'integer', minimum: 0, maximum: 4096, description: 'pixels' } },
    description: 'SDXL only: the crop offset the UNet is conditioned on (time_ids); (0, 0) asks for a centred, uncropped picture',
  },
};

/** The fields above, for the door and parse to refuse them on an SD 1.x/2.x model. */
export const SDXL_ONLY_FIELDS: readonly string[] = Object.keys(sdxlProperties);

/** Named after the request fields (camel case leaves the digit alone), as every Settings field is. */
export interface SdxlSettings {
  /** null: the first prompt (or negative prompt) is used. */
  prompt_2: string | null;
  negativePrompt_2: string | null;
  /** null: the output size. */
  originalSize: { width: number; height: number } | null;
  cropTopLeft: { top: number; left: number };
}

function pair<K extends string>(params: TaskParams, field: string, keys: readonly [K, K]): Record<K, number> | null {
  const v = params[field];
  if (v === undefined) return null;
  const o = v as Record<string, unknown>;
  if (v === null || typeof v !== 'object' || Array.isArray(v) || !keys.every((k) => Number.isInteger(o[k]) && (o[k] as number) >= 0)) {
    throw new TaskError(`task_params.${field} must be {${keys.join(', ')}} of non-negative integers, got ${JSON.stringify(v)}`, 'invalid_params');
  }
  return Object.fromEntries(keys.map((k) => [k, o[k] as number])) as Record<K, number>;
}

function str(params: TaskParams, field: string): string | null {
  const v = params[field];
  if (v === undefined) return null;
  if (typeof v !== 'string') throw new TaskError(`task_params.${field} must be a string, got ${JSON.stringify(v)}`, 'invalid_params');
  return v;
}

export function parseSdxl(params: TaskParams): SdxlSettings {
  return {
    prompt_2: str(params, 'prompt_2'),
    negativePrompt_2: str(params, 'negative_prompt_2'),
    originalSize: pair(params, 'original_size', ['width', 'height'] as const),
    cropTopLeft: pair(params, 'crop_top_left', ['top', 'left'] as const) ?? { top: 0, left: 0 },
  };
}
