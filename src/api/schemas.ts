/**
 * The request schemas: one source of truth for validation (and, later, the OpenAPI
 * document). Bounds follow CONTRACT.md; unknown fields are rejected so typos surface.
 */
import { VIDEO } from '../pipelines/video-creation/limits.js';
import type { TaskType } from '../tasks/types.js';
import { TASK_TYPES } from '../tasks/types.js';

export const IMAGE_SIZE = { min: 64, max: 1024, multipleOf: 8, default: 512 } as const;
export const SCHEDULERS = ['euler', 'euler_a', 'ddim', 'lcm', 'dpmpp_2m_karras'] as const;

const text = (maxLength: number, minLength = 0) => ({ type: 'string', minLength, maxLength });
const imageRef = (description: string) => ({
  type: 'string',
  minLength: 1,
  pattern: '^(?:[hH][tT][tT][pP][sS]?://|data:)',
  description: `${description}: an http(s) URL or a data: URI`,
});
const dimension = {
  type: 'integer', minimum: IMAGE_SIZE.min, maximum: IMAGE_SIZE.max, multipleOf: IMAGE_SIZE.multipleOf,
  default: IMAGE_SIZE.default,
};
const seed = { type: 'integer', minimum: 0, maximum: 4294967295 };
const modelId = { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' };

export const submitSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['task_type', 'task_params', 'user_id'],
  properties: {
    task_type: { type: 'string', enum: [...TASK_TYPES] },
    task_params: { type: 'object' },
    user_id: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7e]+$' },
    // Extension: where to POST the final task state (signed; see src/webhooks/).
    callback_url: {
      type: 'string', minLength: 8, maxLength: 2048, pattern: '^[hH][tT][tT][pP][sS]?://',
      description: 'optional http(s) URL that receives a signed POST of the final task state',
    },
    // Extension: which webhooks to send (Replicate's webhook_events_filter). Default: ["completed"].
    callback_events: {
      type: 'array', minItems: 1, maxItems: 3, uniqueItems: true,
      items: { type: 'string', enum: ['start', 'progress', 'completed'] },
      description: 'with callback_url: "start" (the task began running), "progress" (best effort, throttled), "completed" (any final state, retried until delivered); default ["completed"]',
    },
  },
} as const;

export const paramSchemas: Record<TaskType, object> = {
  image_creation: {
    type: 'object',
    additionalProperties: false,
    required: ['prompt'],
    properties: {
      prompt: text(2000, 1),
      negative_prompt: text(2000),
      width: dimension,
      height: dimension,
      steps: { type: 'integer', minimum: 1, maximum: 100 },
      guidance_scale: { type: 'number', minimum: 0, maximum: 30 },
      seed,
      scheduler: { type: 'string', enum: [...SCHEDULERS] },
      model: modelId,
    },
  },
  image_upscale: {
    type: 'object',
    additionalProperties: false,
    required: ['image_url'],
    properties: {
      image_url: imageRef('the image to upscale'),
      scale_factor: { type: 'integer', minimum: 2, maximum: 4, default: 4 },
      model: modelId,
    },
  },
  face_swap: {
    type: 'object',
    additionalProperties: false,
    required: ['source_image', 'target_image'],
    properties: {
      source_image: imageRef('the face to put in'),
      target_image: imageRef('the picture to change'),
      source_face_index: { type: 'integer', minimum: 0, maximum: 63 },
      target_face_index: { type: 'integer', minimum: 0, maximum: 63 },
    },
  },
  video_creation: {
    type: 'object',
    additionalProperties: false,
    required: ['prompt'],
    properties: {
      prompt: text(2000, 1),
      negative_prompt: text(2000),
      duration: { type: 'integer', minimum: 1, maximum: VIDEO.maxDuration, default: 2 },
      fps: { type: 'integer', minimum: 1, maximum: VIDEO.maxFps, default: 8 },
      width: { ...dimension, maximum: 768 },
      height: { ...dimension, maximum: 768 },
      seed,
      motion: { type: 'number', minimum: 0, maximum: 1 },
      model: modelId,
    },
  },
};
