/**
 * image_upscale's parameters: the schema and `parse`. The model runs at ×4; `scale_factor` sets
 * the output size (the ×4 result is resized, as Real-ESRGAN's `outscale`); `face_enhance` restores
 * the faces of the upscaled image. Light: the API process imports this file.
 */
import type { ResolvedModel } from '../../models/types.js';
import { optionalInt, optionalString, requiredString } from '../params/read.js';
import { imageRef, modelId } from '../params/schema-parts.js';
import type { ModelLookup, ParamsModule, ParamsSchema, TaskParams } from '../params/types.js';
import { faceEnhanceNeeds, faceEnhanceProblem, faceEnhanceSchema, readFaceEnhance, type FaceEnhanceSettings } from '../face-enhance/params.js';

export const UPSCALE_DEFAULTS = Object.freeze({ scaleFactor: 4 });

const schema: ParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['image_url'],
  properties: {
    image_url: imageRef('the image to upscale'),
    scale_factor: { type: 'integer', minimum: 2, maximum: 4, default: UPSCALE_DEFAULTS.scaleFactor, description: 'output size ÷ input size' },
    model: modelId('image_upscale'),
    face_enhance: faceEnhanceSchema,
  },
};

export interface UpscaleSettings {
  imageUrl: string;
  scaleFactor: number;
  model: ResolvedModel;
  /** Null: no enhancement. Applied to the faces found on the upscaled image. */
  faceEnhance: FaceEnhanceSettings | null;
}

export function parse(params: TaskParams, lookup: ModelLookup<ResolvedModel>): UpscaleSettings {
  return {
    imageUrl: requiredString(params, 'image_url'),
    scaleFactor: optionalInt(params, 'scale_factor') ?? UPSCALE_DEFAULTS.scaleFactor,
    model: lookup(optionalString(params, 'model')),
    faceEnhance: readFaceEnhance(params),
  };
}

export const imageUpscaleParams: ParamsModule<UpscaleSettings, ResolvedModel> = {
  schema, crossCheck: faceEnhanceProblem, modelNeeds: faceEnhanceNeeds, parse,
};
