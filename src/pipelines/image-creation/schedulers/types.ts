/**
 * The seam between the denoise loop and the samplers. A scheduler owns its timestep/sigma
 * tables; the loop only asks for the UNet's timestep, scales the input and takes a step.
 * All array work writes into caller-provided buffers so the loop allocates nothing per step.
 */

import type { SchedulerName } from './names.js';

export type { SchedulerName } from './names.js';
export type BetaSchedule = 'scaled_linear' | 'linear';
export type TimestepSpacing = 'leading' | 'trailing' | 'linspace';
export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';

/** One standard-normal draw per call (ancestral and LCM steps add fresh noise). */
export type NoiseSource = () => number;

/** diffusers `scheduler_config.json` fields that these schedulers read. */
export interface SchedulerConfig {
  readonly num_train_timesteps: number;
  readonly beta_start: number;
  readonly beta_end: number;
  readonly beta_schedule: BetaSchedule;
  readonly timestep_spacing: TimestepSpacing;
  readonly steps_offset: number;
  readonly prediction_type: PredictionType;
  /** DDIM/LCM: ᾱ before the first train step is 1 (true) or ᾱ[0] (false). */
  readonly set_alpha_to_one: boolean;
  /** DDIM/LCM: clip the x0 prediction to ±clip_sample_range. */
  readonly clip_sample: boolean;
  readonly clip_sample_range: number;
  /** LCM: length of the distillation schedule the inference steps are picked from. */
  readonly original_inference_steps: number;
  /** LCM: timestep multiplier in the boundary-condition scalings. */
  readonly timestep_scaling: number;
}

export interface Scheduler {
  readonly name: SchedulerName;
  /** What the UNet's `timestep` input receives at each step, in order (empty before setTimesteps). */
  readonly timesteps: Float64Array;
  /** Initial latents are unit Gaussian noise times this. */
  readonly initNoiseSigma: number;
  /**
   * Builds the tables for `steps` inference steps. `sampleSize` (elements per latent) lets
   * multistep solvers allocate their history now instead of on the first step.
   */
  setTimesteps(steps: number, sampleSize?: number): void;
  /** UNet input for step `stepIndex`; `out` may be `sample` itself. */
  scaleModelInput(sample: Float32Array, stepIndex: number, out: Float32Array): void;
  /**
   * One denoise step from `sample` with the UNet's `modelOutput`; `out` may be `sample`.
   * After the last step `out` holds the final (fully denoised) latents.
   */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, out: Float32Array, noise?: NoiseSource): void;
  /** img2img: noise `original` to the level of step `stepIndex`; `out` may be `original`. */
  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number, out: Float32Array): void;
}

export class SchedulerError extends Error {
  readonly code: 'SCHEDULER_CONFIG_INVALID' | 'SCHEDULER_MISUSE';
  constructor(code: SchedulerError['code'], message: string) {
    super(message);
    this.name = 'SchedulerError';
    this.code = code;
  }
}
