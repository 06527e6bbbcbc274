/**
 * Per-model defaults for the parameters a request may leave out, and the checks that need
 * the model (the schema already bounds every field). A model id without an entry gets its
 * defaults from its scheduler config's class, as diffusers would load it.
 */
import { randomInt } from 'node:crypto';
import { isSchedulerName, type SchedulerName } from './schedulers/index.js';
import { TaskError } from '../../tasks/task-errors.js';

export interface ModelDefaults {
  steps: number;
  guidanceScale: number;
  scheduler: SchedulerName;
  size: number;
}

export const MODEL_DEFAULTS: Readonly<Record<string, ModelDefaults>> = Object.freeze({
  // Distilled for 1–4 steps without guidance at 512² (its scheduler config is Euler, trailing).
  'sd-turbo': { steps: 1, guidanceScale: 0, scheduler: 'euler', size: 512 },
  // DPM++ 2M Karras: the sampler most SD 1.5 users pick; 25 steps at CFG 7.5.
  sd15: { steps: 25, guidanceScale: 7.5, scheduler: 'dpmpp_2m_karras', size: 512 },
  // LCM takes its guidance through timestep_cond (w = 8.5 − 1), never as a CFG batch.
  'lcm-dreamshaper-v7': { steps: 4, guidanceScale: 8.5, scheduler: 'lcm', size: 512 },
});

const BY_CLASS: Readonly<Record<string, ModelDefaults>> = {
  LCMScheduler: MODEL_DEFAULTS['lcm-dreamshaper-v7'],
  EulerDiscreteScheduler: { ...MODEL_DEFAULTS.sd15, scheduler: 'euler' },
  EulerAncestralDiscreteScheduler: { ...MODEL_DEFAULTS.sd15, scheduler: 'euler_a' },
  DDIMScheduler: { ...MODEL_DEFAULTS.sd15, scheduler: 'ddim' },
};

export function defaultsFor(modelId: string, schedulerClass: string): ModelDefaults {
  return MODEL_DEFAULTS[modelId] ?? BY_CLASS[schedulerClass] ?? MODEL_DEFAULTS.sd15;
}

/** A request after defaults: everything the pipeline needs, nothing optional. */
export interface CreationSettings {
  prompt: string;
  negativePrompt: string;
  width: number;
  height: number;
  steps: number;
  guidanceScale: number;
  seed: number;
  scheduler: SchedulerName;
}

/** Seeds are u32 (the schema's range; torch keeps only the low 32 bits anyway). */
export function randomSeed(): number {
  return randomInt(0, 2 ** 32 - 1);
}

function int(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) ? value : fallback;
}

export function resolveSettings(params: Record<string, unknown>, defaults: ModelDefaults): CreationSettings {
  const width = int(params.width, defaults.size);
  const height = int(params.height, defaults.size);
  for (const [name, v] of [['width', width], ['height', height]] as const) {
    // The schema checks this at the door; repeated for callers that skip it (video, tests).
    if (v < 8 || v % 8 !== 0) throw new TaskError(`${name} must be a positive multiple of 8, got ${v}`, 'invalid_params');
  }
  const scheduler = params.scheduler === undefined ? defaults.scheduler : params.scheduler;
  if (!isSchedulerName(scheduler)) throw new TaskError(`unknown scheduler ${String(scheduler)}`, 'invalid_params');
  return {
    prompt: typeof params.prompt === 'string' ? params.prompt : '',
    negativePrompt: typeof params.negative_prompt === 'string' ? params.negative_prompt : '',
    width,
    height,
    steps: int(params.steps, defaults.steps),
    guidanceScale: typeof params.guidance_scale === 'number' ? params.guidance_scale : defaults.guidanceScale,
    seed: int(params.seed, randomSeed()),
    scheduler,
  };
}
