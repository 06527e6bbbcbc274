/**
 * background_removal's parameters: the schema, the cross-field rule and `parse`. The segmentation
 * model gives a low-resolution person/foreground probability; the pipeline turns it into a
 * full-resolution matte and one of three outputs. Light: the API process imports this file.
 */
import type { ResolvedModel } from '../../models/types.js';
import { optionalNumber, optionalOneOf, optionalString, requiredString } from '../params/read.js';
import { imageRef, modelId } from '../params/schema-parts.js';
import type { ModelLookup, ParamsModule, ParamsSchema, TaskParams } from '../params/types.js';

export const OUTPUTS = ['rgba', 'mask', 'composite'] as const;
export type BackgroundOutput = (typeof OUTPUTS)[number];

export const REMOVAL_DEFAULTS = Object.freeze({ output: 'rgba' as BackgroundOutput, background: '#ffffff', feather: 0 });

/** "#rgb", "#rrggbb" or "#rrggbbaa". */
export const COLOUR_PATTERN = '^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$';

const schema: ParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['image_url'],
  properties: {
    image_url: imageRef('the image to cut out'),
    model: modelId('background_removal'),
    output: {
      type: 'string', enum: OUTPUTS, default: REMOVAL_DEFAULTS.output,
      description: 'rgba: the image with the matte as its alpha channel (PNG); mask: the matte alone (greyscale PNG, white = kept); composite: the cut-out laid over `background` (PNG). Sending `background` without `output` means composite',
    },
    background: {
      type: 'string', minLength: 1, default: REMOVAL_DEFAULTS.background,
      pattern: '^(?:#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$|[hH][tT][tT][pP][sS]?://|[dD][aA][tT][aA]:)',
      description: `output composite only: a colour ("#00ff00", "#rgb", "#rrggbbaa") or an image (http(s) URL or data: URI, scaled to cover the picture)`,
    },
    mask_threshold: {
      type: 'number', minimum: 0, maximum: 1,
      description: 'cut the model\'s probability at this value (a hard mask) before the edge-aware refinement, which then softens it only along image edges; default: keep the soft probabilities',
    },
    feather: {
      type: 'number', minimum: 0, maximum: 50, default: REMOVAL_DEFAULTS.feather,
      description: 'blur the final matte with a Gaussian of this sigma, in output pixels (0: none)',
    },
  },
};

function crossCheck(params: TaskParams): string | null {
  // A background with no output asks for a composite; with another output it would be ignored.
  if (params.background !== undefined && params.output !== undefined && params.output !== 'composite') {
    return 'task_params.background is only used with output "composite"';
  }
  return null;
}

export type BackgroundFill = { kind: 'colour'; rgba: [number, number, number, number] } | { kind: 'image'; ref: string };

export interface RemovalSettings {
  imageUrl: string;
  model: ResolvedModel;
  output: BackgroundOutput;
  /** As sent (or the default); `backgroundFill` is what it means. */
  background: string;
  backgroundFill: BackgroundFill;
  maskThreshold: number | null;
  feather: number;
}

/** "#rgb" / "#rrggbb" / "#rrggbbaa" → RGBA 0–255, or null when it is not a colour. */
export function parseColour(text: string): [number, number, number, number] | null {
  if (!new RegExp(COLOUR_PATTERN).test(text)) return null;
  let hex = text.slice(1);
  if (hex.length === 3) hex = [...hex].map((c) => c + c).join('');
  if (hex.length === 6) hex += 'ff';
  return [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number, number];
}

export function parse(params: TaskParams, lookup: ModelLookup<ResolvedModel>): RemovalSettings {
  const bg = optionalString(params, 'background') ?? REMOVAL_DEFAULTS.background;
  const colour = parseColour(bg);
  return {
    imageUrl: requiredString(params, 'image_url'),
    model: lookup(optionalString(params, 'model')),
    output: optionalOneOf(params, 'output', OUTPUTS) ?? (params.background !== undefined ? 'composite' : REMOVAL_DEFAULTS.output),
    background: bg,
    backgroundFill: colour ? { kind: 'colour', rgba: colour } : { kind: 'image', ref: bg },
    maskThreshold: optionalNumber(params, 'mask_threshold') ?? null,
    feather: optionalNumber(params, 'feather') ?? REMOVAL_DEFAULTS.feather,
  };
}

export const backgroundRemovalParams: ParamsModule<RemovalSettings, ResolvedModel> = { schema, crossCheck, parse };
