/**
 * face_swap's parameters: the schema and `parse`. Which faces take part (by index, by rule or by
 * a reference photo), which engine swaps them (inswapper when installed, else the offline mesh
 * warp) and the blend mask. The models are fixed per role, so parse needs no model facts.
 * Light: the API process imports this file.
 */
import { TaskError } from '../../tasks/task-errors.js';
import { optionalInt, optionalNumber, optionalOneOf, optionalString, requiredString } from '../params/read.js';
import { imageRef } from '../params/schema-parts.js';
import type { ParamsModule, ParamsSchema, TaskParams } from '../params/types.js';
import { FACE_REGIONS, type FaceRegion } from './mesh/regions.js';

const MAX_FACE_INDEX = 63;
export const ENGINES = ['auto', 'inswapper', 'mesh'] as const;
export type Engine = (typeof ENGINES)[number];
export const FACE_MASKS = ['box', 'oval', 'regions'] as const;

const faceIndex = (image: string, fallback: string) => ({
  type: 'integer', minimum: 0, maximum: MAX_FACE_INDEX,
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
    target_faces: {
      oneOf: [
        { type: 'string', enum: ['all', 'largest'] },
        { type: 'array', minItems: 1, maxItems: MAX_FACE_INDEX + 1, uniqueItems: true, items: { type: 'integer', minimum: 0, maximum: MAX_FACE_INDEX } },
      ],
      description: 'which faces of target_image to swap: "all", "largest", or a list of indices (left to right from 0); default "all" (or target_face_index)',
    },
    reference_image: imageRef('a photo of the person to replace: only the target face closest to its identity is swapped (ArcFace where installed, else a FaceMesh geometry descriptor)'),
    engine: {
      type: 'string', enum: [...ENGINES],
      description: '"inswapper" (needs the inswapper and ArcFace models), "mesh" (offline: FaceMesh piecewise-affine warp, colour transfer, feathered blend) or "auto" (inswapper when installed, else mesh); default "auto"',
    },
    face_mask: {
      type: 'string', enum: [...FACE_MASKS],
      description: 'the blend mask: "box" (the aligned crop, feathered), "oval" (the face outline from FaceMesh) or "regions" (the union of mask_regions); default "box" for inswapper, "oval" for mesh',
    },
    mask_regions: {
      type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: [...FACE_REGIONS] },
      description: `with face_mask "regions": which parts of the face to swap, any of ${FACE_REGIONS.join(', ')}; default all`,
    },
    mask_blur: {
      type: 'number', minimum: 0, maximum: 1,
      description: 'feathering of the oval/regions mask edge, as a fraction of the face size (0: hard edge); default 0.3',
    },
  },
};

export type TargetFaces = 'all' | 'largest' | number[];

export interface FaceSwapSettings {
  sourceImage: string;
  targetImage: string;
  referenceImage: string | undefined;
  /** A face index, or the default rule. */
  sourceFaceIndex: number | 'largest';
  /** A bare number: target_face_index (kept apart so errors name that field). */
  targetFaces: TargetFaces | number;
  engine: Engine;
  /** Undefined: the engine's own default (box for inswapper, oval for mesh). */
  faceMask: (typeof FACE_MASKS)[number] | undefined;
  maskRegions: FaceRegion[];
  maskBlur: number;
}

function readTargetFaces(params: TaskParams): TargetFaces | undefined {
  const v = params.target_faces;
  if (v === undefined) return undefined;
  if (v === 'all' || v === 'largest') return v;
  if (Array.isArray(v) && v.length > 0 && v.every((i) => Number.isInteger(i) && i >= 0)) return [...new Set(v as number[])];
  throw new TaskError(`task_params.target_faces must be "all", "largest" or a list of face indices, got ${JSON.stringify(v)}`, 'invalid_params');
}

function readRegions(params: TaskParams): FaceRegion[] {
  const v = params.mask_regions;
  if (v === undefined) return [...FACE_REGIONS];
  if (Array.isArray(v) && v.length > 0 && v.every((r) => (FACE_REGIONS as readonly unknown[]).includes(r))) return v as FaceRegion[];
  throw new TaskError(`task_params.mask_regions must be a list of ${FACE_REGIONS.join(', ')}, got ${JSON.stringify(v)}`, 'invalid_params');
}

function crossCheck(params: TaskParams): string | null {
  if (params.target_faces !== undefined && params.target_face_index !== undefined) {
    return 'give either target_faces or target_face_index, not both';
  }
  if (params.mask_regions !== undefined && params.face_mask !== 'regions') return 'mask_regions needs face_mask "regions"';
  return null;
}

export function parse(params: TaskParams): FaceSwapSettings {
  const problem = crossCheck(params);
  if (problem) throw new TaskError(problem, 'invalid_params');
  const index = optionalInt(params, 'target_face_index');
  const blur = optionalNumber(params, 'mask_blur') ?? 0.3;
  if (blur < 0 || blur > 1) throw new TaskError(`task_params.mask_blur must be within 0–1, got ${blur}`, 'invalid_params');
  return {
    sourceImage: requiredString(params, 'source_image'),
    targetImage: requiredString(params, 'target_image'),
    referenceImage: optionalString(params, 'reference_image'),
    sourceFaceIndex: optionalInt(params, 'source_face_index') ?? 'largest',
    targetFaces: readTargetFaces(params) ?? index ?? 'all',
    engine: optionalOneOf(params, 'engine', ENGINES) ?? 'auto',
    faceMask: optionalOneOf(params, 'face_mask', FACE_MASKS),
    maskRegions: readRegions(params),
    maskBlur: blur,
  };
}

export const faceSwapParams: ParamsModule<FaceSwapSettings> = { schema, crossCheck, parse };
