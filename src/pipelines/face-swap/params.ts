/**
 * face_swap's parameters: the schema and `parse`. Which faces take part (by index, by rule or by
 * a reference photo), which engine swaps them (inswapper when installed, else the offline mesh
 * warp) and the blend mask. The target is a picture (target_image) or a video (target_video).
 * The models are fixed per role, so parse needs no model facts.
 * Light: the API process imports this file.
 */
import { TaskError } from '../../tasks/task-errors.js';
import { optionalInt, optionalNumber, optionalOneOf, optionalString, requiredString } from '../params/read.js';
import { imageRef } from '../params/schema-parts.js';
import type { ParamsModule, ParamsSchema, TaskParams } from '../params/types.js';
import { faceEnhanceNeeds, faceEnhanceProblem, faceEnhanceSchema, readFaceEnhance, type FaceEnhanceSettings } from '../face-enhance/params.js';
import { FACE_REGIONS, type FaceRegion } from './mesh/regions.js';
import { OPENNESS_THRESHOLD } from './openness-threshold.js';
import { VIDEO_SWAP } from './video/limits.js';

const MAX_FACE_INDEX = 63;
export const ENGINES = ['auto', 'inswapper', 'mesh'] as const;
export type Engine = (typeof ENGINES)[number];
export const FACE_MASKS = ['box', 'oval', 'regions'] as const;
/** Parts of the face keep_target_regions can leave to the target. */
export const KEEP_REGIONS = ['eyes', 'mouth'] as const;
export type KeepRegion = (typeof KEEP_REGIONS)[number];

const faceIndex = (image: string, fallback: string) => ({
  type: 'integer', minimum: 0, maximum: MAX_FACE_INDEX,
  description: `which face of ${image}, counted left to right from 0; default: ${fallback}`,
});

const schema: ParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['source_image'],
  // Exactly one target: a picture or a video.
  oneOf: ['target_image', 'target_video'].map((f) => ({ properties: { [f]: true }, required: [f] })),
  properties: {
    source_image: imageRef('the face to put in'),
    target_image: { ...imageRef('the picture to change'), description: 'the picture to change: an http(s) URL or a data: URI; give this or target_video' },
    target_video: {
      ...imageRef('the video to change'),
      description: `the video to change, instead of target_image: an http(s) URL or a data: URI (video/* or image/gif) of an MP4, MOV, WebM or GIF; at most ${VIDEO_SWAP.maxDurationS} s, `
        + `${VIDEO_SWAP.maxFrames} frames and ${VIDEO_SWAP.maxPixels} pixels per frame. The result is an H.264 MP4 at the input's frame rate with its audio kept; faces are chosen per frame (target_faces / target_face_index count left to right in each frame)`,
    },
    temporal_smoothing: {
      type: 'boolean',
      description: 'target_video only: smooth each face\'s landmarks over time (One Euro filter) so the swapped face does not jitter; default: true',
    },
    source_face_index: faceIndex('source_image', 'the largest'),
    target_face_index: faceIndex('target_image', 'every face'),
    target_faces: {
      oneOf: [
        { type: 'string', enum: ['all', 'largest'] },
        { type: 'array', minItems: 1, maxItems: MAX_FACE_INDEX + 1, uniqueItems: true, items: { type: 'integer', minimum: 0, maximum: MAX_FACE_INDEX } },
      ],
      description: 'which faces of target_image to swap: "all", "largest", or a list of indices (left to right from 0); not with target_face_index; default: "all"',
    },
    reference_image: {
      ...imageRef('a photo of the person to replace: only the target face closest to its identity is swapped (ArcFace where installed, else a FaceMesh geometry descriptor)'),
      description: 'a photo of the person to replace (URL or data: URI): of the selected target faces, only the one nearest its identity is swapped (ArcFace where installed, else a FaceMesh geometry descriptor); default: none (no reference)',
    },
    engine: {
      type: 'string', enum: [...ENGINES],
      description: '"inswapper" (needs the inswapper and ArcFace models), "mesh" (offline: FaceMesh piecewise-affine warp, colour transfer, feathered blend) or "auto" (inswapper when installed, else mesh); default: "auto"',
    },
    face_mask: {
      type: 'string', enum: [...FACE_MASKS],
      description: 'the blend mask: "box" (the aligned crop, feathered), "oval" (the face outline from FaceMesh) or "regions" (the union of mask_regions); default: "regions" when mask_regions is given, else the engine’s own ("box" for inswapper, "oval" for mesh)',
    },
    mask_regions: {
      type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: [...FACE_REGIONS] },
      description: `which parts of the face to swap with face_mask "regions" (given alone, it implies that mask): any of ${FACE_REGIONS.join(', ')}; default: all of them`,
    },
    mask_blur: {
      type: 'number', minimum: 0, maximum: 1,
      description: 'feathering of the oval/regions mask edge: σ = mask_blur × 5% of the face size (0: hard edge); default: 0.3',
    },
    keep_target_regions: {
      oneOf: [
        { type: 'string', enum: ['none', 'auto'] },
        { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: [...KEEP_REGIONS] } },
      ],
      description: 'parts of the target face kept as they are (from its FaceMesh, feathered), so a target with its eyes closed or its mouth open keeps them so: '
        + `a list of ${KEEP_REGIONS.join(', ')}; "auto" (per face: the eyes when the source's and target's eye aspect ratios differ by more than ${OPENNESS_THRESHOLD.eyes}, `
        + `the mouth when their mouth aspect ratios differ by more than ${OPENNESS_THRESHOLD.mouth}); or "none"; default: "none"`,
    },
    face_enhance: faceEnhanceSchema,
  },
};

export type TargetFaces = 'all' | 'largest' | number[];

export interface FaceSwapSettings {
  sourceImage: string;
  /** Exactly one of targetImage and targetVideo is set. */
  targetImage: string | undefined;
  targetVideo: string | undefined;
  /** target_video: One Euro smoothing of the landmarks. */
  temporalSmoothing: boolean;
  referenceImage: string | undefined;
  /** A face index, or the default rule. */
  sourceFaceIndex: number | 'largest';
  /** target_face_index: one face, or 'all' when not given (then targetFaces decides). */
  targetFaceIndex: number | 'all';
  targetFaces: TargetFaces;
  engine: Engine;
  /** Undefined: the engine's own default (box for inswapper, oval for mesh), or regions with mask_regions. */
  faceMask: (typeof FACE_MASKS)[number] | undefined;
  maskRegions: FaceRegion[];
  maskBlur: number;
  /** The target's own eyes/mouth to keep: a fixed list (empty: none) or "auto" (decided per face by openness). */
  keepTargetRegions: KeepRegion[] | 'auto';
  /** Null: no enhancement. Applied to each swapped face. */
  faceEnhance: FaceEnhanceSettings | null;
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

function readKeep(params: TaskParams): KeepRegion[] | 'auto' {
  const v = params.keep_target_regions;
  if (v === undefined || v === 'none') return [];
  if (v === 'auto') return 'auto';
  if (Array.isArray(v) && v.length > 0 && v.every((r) => (KEEP_REGIONS as readonly unknown[]).includes(r))) return [...new Set(v as KeepRegion[])];
  throw new TaskError(`task_params.keep_target_regions must be "none", "auto" or a list of ${KEEP_REGIONS.join(', ')}, got ${JSON.stringify(v)}`, 'invalid_params');
}

function crossCheck(params: TaskParams): string | null {
  const video = params.target_video !== undefined;
  if (video === (params.target_image !== undefined)) return 'give either target_image or target_video (exactly one)';
  if (video && params.reference_image !== undefined) return 'reference_image goes with target_image only (a video\'s faces are chosen per frame)';
  if (!video && params.temporal_smoothing !== undefined) return 'temporal_smoothing goes with target_video only';
  if (params.target_faces !== undefined && params.target_face_index !== undefined) {
    return 'give either target_faces or target_face_index, not both';
  }
  if (params.mask_regions !== undefined && params.face_mask !== undefined && params.face_mask !== 'regions') {
    return 'mask_regions goes with face_mask "regions" only';
  }
  return faceEnhanceProblem(params);
}

function readBoolean(params: TaskParams, field: string): boolean | undefined {
  const v = params[field];
  if (v === undefined || typeof v === 'boolean') return v;
  throw new TaskError(`task_params.${field} must be true or false, got ${JSON.stringify(v)}`, 'invalid_params');
}

export function parse(params: TaskParams): FaceSwapSettings {
  const problem = crossCheck(params);
  if (problem) throw new TaskError(problem, 'invalid_params');
  const blur = optionalNumber(params, 'mask_blur') ?? 0.3;
  if (blur < 0 || blur > 1) throw new TaskError(`task_params.mask_blur must be within 0–1, got ${blur}`, 'invalid_params');
  return {
    sourceImage: requiredString(params, 'source_image'),
    targetImage: optionalString(params, 'target_image'),
    targetVideo: optionalString(params, 'target_video'),
    temporalSmoothing: readBoolean(params, 'temporal_smoothing') ?? true,
    referenceImage: optionalString(params, 'reference_image'),
    sourceFaceIndex: optionalInt(params, 'source_face_index') ?? 'largest',
    targetFaceIndex: optionalInt(params, 'target_face_index') ?? 'all',
    targetFaces: readTargetFaces(params) ?? 'all',
    engine: optionalOneOf(params, 'engine', ENGINES) ?? 'auto',
    faceMask: optionalOneOf(params, 'face_mask', FACE_MASKS) ?? (params.mask_regions === undefined ? undefined : 'regions'),
    maskRegions: readRegions(params),
    maskBlur: blur,
    keepTargetRegions: readKeep(params),
    faceEnhance: readFaceEnhance(params),
  };
}

export const faceSwapParams: ParamsModule<FaceSwapSettings> = { schema, crossCheck, modelNeeds: faceEnhanceNeeds, parse };
