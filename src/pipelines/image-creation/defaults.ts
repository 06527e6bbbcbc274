/**
 * What a Stable Diffusion model runs with when the request leaves a setting out. Steps, guidance
 * and scheduler come from this table by model id (or, for an id not listed, by the class in its
 * scheduler_config.json, as diffusers would load it); the image size comes from the model folder
 * itself when it says (unet/config.json `sample_size` × the VAE's downscale, diffusers' rule),
 * else from the table. Light on purpose: the API process imports it through params.ts.
 */
import { randomInt } from 'node:crypto';
import type { SdFamily } from './family.js';
import type { SchedulerName } from './schedulers/names.js';

export interface ModelDefaults {
  steps: number;
  guidanceScale: number;
  scheduler: SchedulerName;
  /** Side of the square image the model was trained at, when its folder does not say. */
  size: number;
}

/** The facts about an installed SD model that its defaults depend on (read by model-info.ts). */
export interface SdModelInfo {
  id: string;
  /** Absolute folder of the model. */
  dir: string;
  /** `_class_name` of scheduler/scheduler_config.json, '' when absent. */
  schedulerClass: string;
  /** The trained size declared by the folder's configs; null when they declare none. */
  nativeSize: { width: number; height: number } | null;
  /** SDXL (two text encoders, added conditioning) or SD 1.x/2.x (family.ts); absent means SD 1.x/2.x. */
  family?: SdFamily;
}

export const MODEL_DEFAULTS: Readonly<Record<string, ModelDefaults>> = Object.freeze({
  // Distilled for 1–4 steps without guidance at 512² (its scheduler config is Euler, trailing).
  'sd-turbo': { steps: 1, guidanceScale: 0, scheduler: 'euler', size: 512 },
  // DPM++ 2M Karras: the sampler most SD 1.5 users pick; 25 steps at CFG 7.5.
  sd15: { steps: 25, guidanceScale: 7.5, scheduler: 'dpmpp_2m_karras', size: 512 },
  // LCM takes its guidance through timestep_cond (w = 8.5 − 1), never as a CFG batch.
  'lcm-dreamshaper-v7': { steps: 4, guidanceScale: 8.5, scheduler: 'lcm', size: 512 },
  // SDXL base 1.0: its config is Euler (leading); ~30 steps at CFG 5–7 (diffusers' default 5), 1024².
  'sdxl-base': { steps: 30, guidanceScale: 6, scheduler: 'euler', size: 1024 },
  // SDXL-Turbo: 1–4 steps without guidance at 512²; its scheduler config is Euler ancestral, trailing.
  'sdxl-turbo': { steps: 1, guidanceScale: 0, scheduler: 'euler_a', size: 512 },
});

const BY_CLASS: Readonly<Record<string, ModelDefaults>> = {
  LCMScheduler: MODEL_DEFAULTS['lcm-dreamshaper-v7'],
  EulerDiscreteScheduler: { ...MODEL_DEFAULTS.sd15, scheduler: 'euler' },
  EulerAncestralDiscreteScheduler: { ...MODEL_DEFAULTS.sd15, scheduler: 'euler_a' },
  DDIMScheduler: { ...MODEL_DEFAULTS.sd15, scheduler: 'ddim' },
};

/** Every default of one model, the size resolved to width and height. */
export interface ResolvedDefaults {
  steps: number;
  guidanceScale: number;
  scheduler: SchedulerName;
  width: number;
  height: number;
}

export function defaultsFor(model: Pick<SdModelInfo, 'id' | 'schedulerClass' | 'nativeSize' | 'family'>): ResolvedDefaults {
  // An SDXL folder under an unknown id takes SDXL base's steps, guidance and size (its scheduler from its config).
  const family = model.family === 'sdxl' ? { ...MODEL_DEFAULTS['sdxl-base'], scheduler: BY_CLASS[model.schedulerClass]?.scheduler ?? 'euler' } : undefined;
  const d = MODEL_DEFAULTS[model.id] ?? family ?? BY_CLASS[model.schedulerClass] ?? MODEL_DEFAULTS.sd15;
  const size = model.nativeSize ?? { width: d.size, height: d.size };
  return { steps: d.steps, guidanceScale: d.guidanceScale, scheduler: d.scheduler, width: size.width, height: size.height };
}

/** Seeds are u32 (the schema's range; torch keeps only the low 32 bits anyway). */
export function randomSeed(): number {
  return randomInt(0, 2 ** 32 - 1);
}
