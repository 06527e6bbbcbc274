/**
 * The `loras` request field of image_creation: LoRAs from the LoRA folder (by file name without
 * `.safetensors`) merged into the UNet and text encoder at the given weight. Light (the API
 * imports it with params.ts): schema, the duplicate check and parse only.
 */
import { TaskError } from '../../tasks/task-errors.js';
import type { PropertySchema, TaskParams } from '../params/types.js';

export const MAX_LORAS = 8;
export const LORA_WEIGHT = { min: -4, max: 4, default: 1 } as const;
/** Kept in step with models/lora/lora-folder.ts (the params module stays free of fs code). */
const NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_. +-]{0,127}$';

export interface LoraRequest {
  name: string;
  weight: number;
}

export const lorasProperty: PropertySchema = {
  type: 'array',
  maxItems: MAX_LORAS,
  description: `LoRAs to apply, merged into the UNet and text encoder weights (SDXL: both text encoders; GET /ready lists the installed ones under \`loras\`); kohya and diffusers/PEFT key naming are read; a LoRA none of whose keys matches a layer of the model is refused (400); default: none`,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', pattern: NAME_PATTERN, description: 'the LoRA file in the LoRA folder, without `.safetensors`' },
      weight: { type: 'number', minimum: LORA_WEIGHT.min, maximum: LORA_WEIGHT.max, description: `strength: W + weight · up · down · alpha/rank; default: ${LORA_WEIGHT.default}` },
    },
  },
};

/** A LoRA named twice (its weights would simply add up: one entry with the sum says so plainly). */
export function lorasCrossCheck(params: TaskParams): string | null {
  const list = params.loras;
  if (!Array.isArray(list)) return null;
  const seen = new Map<string, number>();
  for (const [i, l] of list.entries()) {
    const name = (l as { name?: unknown }).name;
    if (typeof name !== 'string') continue;
    const first = seen.get(name);
    if (first !== undefined) return `task_params.loras[${i}].name: "${name}" is already task_params.loras[${first}]; give it once, with the summed weight.`;
    seen.set(name, i);
  }
  return null;
}

export function parseLoras(params: TaskParams): LoraRequest[] {
  const list = params.loras;
  if (list === undefined) return [];
  if (!Array.isArray(list) || list.length > MAX_LORAS) throw new TaskError(`task_params.loras must be a list of at most ${MAX_LORAS} LoRAs`, 'invalid_params');
  return list.map((l, i) => {
    const { name, weight } = (l ?? {}) as { name?: unknown; weight?: unknown };
    if (typeof name !== 'string' || !new RegExp(NAME_PATTERN).test(name)) throw new TaskError(`task_params.loras[${i}].name is not a LoRA name`, 'invalid_params');
    const w = weight === undefined ? LORA_WEIGHT.default : weight;
    if (typeof w !== 'number' || !(w >= LORA_WEIGHT.min && w <= LORA_WEIGHT.max)) throw new TaskError(`task_params.loras[${i}].weight must be a number from ${LORA_WEIGHT.min} to ${LORA_WEIGHT.max}`, 'invalid_params');
    return { name, weight: w };
  });
}
