/**
 * image_creation's image-editing and batch fields (img2img, inpainting, outpainting, batch_size,
 * previews): their schema properties and the typed settings parse returns. The editing fields
 * take effect with init_image and are ignored without it (as A1111's txt2img ignores them). Light: the API process imports this through params.ts.
 */
import { optionalInt, optionalNumber, optionalOneOf, optionalString } from '../params/read.js';
import { imageRef } from '../params/schema-parts.js';
import type { PropertySchema, TaskParams } from '../params/types.js';
import { TaskError } from '../../tasks/task-errors.js';

export const RESIZE_MODES = ['crop', 'fit', 'stretch'] as const;
export type ResizeMode = (typeof RESIZE_MODES)[number];
export const INPAINTING_FILLS = ['original', 'latent_noise', 'fill'] as const;
export type InpaintingFill = (typeof INPAINTING_FILLS)[number];
export const OUTPAINT_SIDES = ['left', 'right', 'top', 'bottom'] as const;

export const EDIT_DEFAULTS = Object.freeze({ strength: 0.75, resizeMode: 'crop' as ResizeMode, maskBlur: 4, padding: 32, inpaintingFill: 'original' as InpaintingFill, batchSize: 1 });
export const BATCH_MAX = 8;
export const OUTPAINT_MAX = 512;

const outpaintSide = (side: string): PropertySchema => ({ type: 'integer', minimum: 0, maximum: OUTPAINT_MAX, multipleOf: 8, description: `pixels added on the ${side}; default 0` });

export const editProperties: Readonly<Record<string, PropertySchema>> = {
  init_image: { ...imageRef('img2img: the picture to start from (resized to width × height by resize_mode)'), description: 'img2img: the picture to start from (resized to width × height by resize_mode), an http(s) URL or a data: URI; default: none (text-to-image)' },
  strength: { type: 'number', minimum: 0, maximum: 1, default: EDIT_DEFAULTS.strength, description: 'img2img: how much of init_image to change (0 keeps it, 1 ignores it); runs the last ⌊steps × strength⌋ steps' },
  resize_mode: { type: 'string', enum: [...RESIZE_MODES], default: EDIT_DEFAULTS.resizeMode, description: 'how init_image (and mask_image) meet width × height: crop (cover, centre crop), fit (contain, black bars), stretch' },
  mask_image: { ...imageRef('inpainting'), description: 'inpainting: white = repaint, black = keep, the same size as init_image; an http(s) URL or a data: URI; default: none' },
  mask_blur: { type: 'integer', minimum: 0, maximum: 64, default: EDIT_DEFAULTS.maskBlur, description: 'inpainting: Gaussian blur of the mask edge in pixels (σ)' },
  inpaint_full_res: { type: 'boolean', default: false, description: 'inpainting: work on the mask\'s bounding box (plus padding) at full width × height, then paste it back' },
  padding: { type: 'integer', minimum: 0, maximum: 256, default: EDIT_DEFAULTS.padding, description: 'inpaint_full_res: pixels of context around the mask\'s box' },
  inpainting_fill: { type: 'string', enum: [...INPAINTING_FILLS], default: EDIT_DEFAULTS.inpaintingFill, description: 'inpainting: what the masked area starts from: original (the picture), latent_noise (pure noise), fill (the mean colour of the kept area)' },
  outpaint: {
    type: 'object', additionalProperties: false,
    properties: { left: outpaintSide('left'), right: outpaintSide('right'), top: outpaintSide('top'), bottom: outpaintSide('bottom') },
    description: 'outpainting: grow the canvas around init_image (resized to width × height) by these multiples of 8; the new border is painted, the original kept; default: none',
  },
  batch_size: { type: 'integer', minimum: 1, maximum: BATCH_MAX, default: EDIT_DEFAULTS.batchSize, description: 'images per request, denoised as one UNet batch (split under a memory budget) with seeds seed, seed+1, …; result.images lists them' },
  preview_every: { type: 'integer', minimum: 0, maximum: 100, description: 'write a small live preview every this many steps (progress.preview_url, SSE event: preview); 0 = none; default: about four per task' },
};

export interface Outpaint {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export interface EditSettings {
  /** img2img/inpainting/outpainting source; null for text-to-image. */
  initImage: string | null;
  strength: number;
  resizeMode: ResizeMode;
  maskImage: string | null;
  maskBlur: number;
  inpaintFullRes: boolean;
  padding: number;
  inpaintingFill: InpaintingFill;
  /** null when no side grows. */
  outpaint: Outpaint | null;
  batchSize: number;
  /** Steps between previews; 0 = none. */
  previewEvery: number;
}

/** The four sides (a side left out is 0); null when nothing grows. */
function readOutpaint(params: TaskParams): Outpaint | null {
  const o = params.outpaint;
  if (o === undefined) return null;
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new TaskError(`task_params.outpaint must be an object, got ${JSON.stringify(o)}`, 'invalid_params');
  const sides = o as Record<string, unknown>;
  const v = (k: string) => (typeof sides[k] === 'number' ? (sides[k] as number) : 0);
  const out = { left: v('left'), right: v('right'), top: v('top'), bottom: v('bottom') };
  return out.left + out.right + out.top + out.bottom > 0 ? out : null;
}

function optionalBoolean(params: TaskParams, field: string): boolean | undefined {
  const v = params[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new TaskError(`task_params.${field} must be true or false, got ${JSON.stringify(v)}`, 'invalid_params');
  return v;
}

/** A few previews per task: every ⌈steps / 4⌉ steps. */
export function defaultPreviewEvery(steps: number): number {
  return Math.max(1, Math.ceil(steps / 4));
}

export function parseEdit(params: TaskParams, steps: number): EditSettings {
  return {
    initImage: optionalString(params, 'init_image') ?? null,
    strength: optionalNumber(params, 'strength') ?? EDIT_DEFAULTS.strength,
    resizeMode: optionalOneOf(params, 'resize_mode', RESIZE_MODES) ?? EDIT_DEFAULTS.resizeMode,
    maskImage: optionalString(params, 'mask_image') ?? null,
    maskBlur: optionalInt(params, 'mask_blur') ?? EDIT_DEFAULTS.maskBlur,
    inpaintFullRes: optionalBoolean(params, 'inpaint_full_res') ?? false,
    padding: optionalInt(params, 'padding') ?? EDIT_DEFAULTS.padding,
    inpaintingFill: optionalOneOf(params, 'inpainting_fill', INPAINTING_FILLS) ?? EDIT_DEFAULTS.inpaintingFill,
    outpaint: readOutpaint(params),
    batchSize: optionalInt(params, 'batch_size') ?? EDIT_DEFAULTS.batchSize,
    previewEvery: optionalInt(params, 'preview_every') ?? defaultPreviewEvery(steps),
  };
}
