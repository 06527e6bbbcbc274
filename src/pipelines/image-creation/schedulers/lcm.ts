/**
 * Latent Consistency Model sampler (diffusers LCMScheduler): each step maps the sample to its
 * consistency-function estimate `denoised`, then re-noises it to the next timestep. The last
 * step returns `denoised` itself, which is what gets decoded.
 */
import { checkSameLength, checkStepIndex, requireNoise } from './checks.js';
import { alphasCumprod, checkSteps, linspace, addNoiseVp } from './noise-schedule.js';
import { x0FromVp, type Linear } from './prediction.js';
import type { NoiseSource, Scheduler, SchedulerConfig } from './types.js';

/** σ_data of the consistency parameterisation. */
const SIGMA_DATA = 0.5;

export class LcmScheduler implements Scheduler {
  readonly name = 'lcm' as const;
  readonly initNoiseSigma = 1;
  timesteps: Float64Array = new Float64Array(0);
  readonly alphasCumprod: Float64Array;
  private readonly finalAlphaCumprod: number;
  private readonly x0: Linear = { a: 1, b: 0 };

  constructor(readonly config: SchedulerConfig) {
    this.alphasCumprod = alphasCumprod(config);
    this.finalAlphaCumprod = config.set_alpha_to_one ? 1 : this.alphasCumprod[0];
  }

  /**
   * Picks `steps` of the distillation schedule (k−1, 2k−1, … with k = T // original_steps),
   * evenly by index from the top; 4 steps of the default 50 → 999, 759, 499, 259.
   */
  setTimesteps(steps: number): void {
    const original = this.config.original_inference_steps;
    checkSteps(steps, original);
    const k = Math.floor(this.config.num_train_timesteps / original);
    const indices = linspace(0, original, steps, false);
    this.timesteps = new Float64Array(steps);
    for (let i = 0; i < steps; i++) {
      const fromTop = Math.floor(indices[i]);
      this.timesteps[i] = (original - fromTop) * k - 1;
    }
  }

  /** Boundary-condition scalings: c_skip → 1 and c_out → 0 as t → 0, so f(x, 0) = x. */
  cSkip(timestep: number): number {
    const st = timestep * this.config.timestep_scaling;
    return (SIGMA_DATA * SIGMA_DATA) / (st * st + SIGMA_DATA * SIGMA_DATA);
  }

  cOut(timestep: number): number {
    const st = timestep * this.config.timestep_scaling;
    return st / Math.sqrt(st * st + SIGMA_DATA * SIGMA_DATA);
  }

  scaleModelInput(sample: Float32Array, stepIndex: number, out: Float32Array): void {
    checkStepIndex(stepIndex, this.timesteps.length);
    checkSameLength(sample, out);
    if (out !== sample) out.set(sample);
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, out: Float32Array, noise?: NoiseSource): void {
    const steps = this.timesteps.length;
    checkStepIndex(stepIndex, steps);
    checkSameLength(modelOutput, sample, out);
    const t = this.timesteps[stepIndex];
    const alphaBar = this.alphasCumprod[t];
    const { a, b } = x0FromVp(this.config.prediction_type, Math.sqrt(alphaBar), Math.sqrt(1 - alphaBar), this.x0);
    const cSkip = this.cSkip(t);
    const cOut = this.cOut(t);
    const clip = this.config.clip_sample;
    const range = this.config.clip_sample_range;
    const last = stepIndex === steps - 1;
    const prevT = last ? t : this.timesteps[stepIndex + 1];
    const prev = prevT >= 0 ? this.alphasCumprod[prevT] : this.finalAlphaCumprod;
    const p = Math.sqrt(prev);
    const q = Math.sqrt(1 - prev);
    const draw = last ? undefined : requireNoise(noise, this.name);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i];
      let pred = a * x + b * modelOutput[i];
      if (clip) pred = pred < -range ? -range : pred > range ? range : pred;
      const denoised = cOut * pred + cSkip * x;
      out[i] = draw === undefined ? denoised : p * denoised + q * draw();
    }
  }

  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number, out: Float32Array): void {
    checkStepIndex(stepIndex, this.timesteps.length);
    checkSameLength(original, noise, out);
    addNoiseVp(this.alphasCumprod[this.timesteps[stepIndex]], original, noise, out);
  }
}
