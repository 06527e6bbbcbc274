/**
 * face_swap's parameters: the schema and `parse`. Which faces take part is the only choice; the
 * models are fixed per role (swapper, embedder, detector), so parse needs no model facts. Light:
 * the API process imports this file.
 */
import { optionalInt, requiredString } from '../params/read.js';
import { imageRef } from '../params/schema-parts.js';
import type { ParamsModule, ParamsSchema, TaskParams } from '../params/types.js';

const faceIndex = (image: string, fallback: string) => ({
  type: 'integer', minimum: 0, maximum: 63,
  description: `which face of ${image}, counted left to right from 0; default: ${fallback}`,
});

const schema: ParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['source_image', 'target_image'],
  properties: {
    source_image: imageRef('the face to put in'),
    target_image: imageRef('the picture to change'),
    source_face_index: faceIndex('source_image', 'the largest'),
    target_face_index: faceIndex('target_image', 'every face'),
  },
};

export interface FaceSwapSettings {
  sourceImage: string;
  targetImage: string;
  /** A face index, or the default rule. */
  sourceFaceIndex: number | 'largest';
  targetFaceIndex: number | 'all';
}

export function parse(params: TaskParams): FaceSwapSettings {
  return {
    sourceImage: requiredString(params, 'source_image'),
    targetImage: requiredString(params, 'target_image'),
    sourceFaceIndex: optionalInt(params, 'source_face_index') ?? 'largest',
    targetFaceIndex: optionalInt(params, 'target_face_index') ?? 'all',
  };
}

export const faceSwapParams: ParamsModule<FaceSwapSettings> = { schema, parse };
