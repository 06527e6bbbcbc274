/**
 * DDIM with η = 0 (diffusers DDIMScheduler): deterministic; predict x0, then move it to the
 * previous timestep's noise level along the same ε.
 */
import { checkSameLength, checkStepIndex } from './checks.js';
import { alphasCumprod, spacedTimesteps, addNoiseVp } from './noise-schedule.js';
import { epsFromVp, x0FromVp, type Linear } from './prediction.js';
import type { Scheduler, SchedulerConfig } from './types.js';

export class DdimScheduler implements Scheduler {
  readonly name = 'ddim' as const;
  readonly initNoiseSigma = 1;
  timesteps: Float64Array = new Float64Array(0);
  readonly alphasCumprod: Float64Array;
  private readonly finalAlphaCumprod: number;
  private stepRatio = 0;
  private readonly x0: Linear = { a: 1, b: 0 };
  private readonly eps: Linear = { a: 0, b: 1 };

  constructor(readonly config: SchedulerConfig) {
    this.alphasCumprod = alphasCumprod(config);
    this.finalAlphaCumprod = config.set_alpha_to_one ? 1 : this.alphasCumprod[0];
  }

  setTimesteps(steps: number): void {
    this.timesteps = spacedTimesteps(this.config, steps, 'integer');
    this.stepRatio = Math.floor(this.config.num_train_timesteps / steps);
  }

  /** ᾱ of the timestep this step lands on (diffusers: t − T//N, whatever the spacing). */
  alphaCumprodPrev(stepIndex: number): number {
    const prev = this.timesteps[stepIndex] - this.stepRatio;
    return prev >= 0 ? this.alphasCumprod[prev] : this.finalAlphaCumprod;
  }

  scaleModelInput(sample: Float32Array, stepIndex: number, out: Float32Array): void {
    checkStepIndex(stepIndex, this.timesteps.length);
    checkSameLength(sample, out);
    if (out !== sample) out.set(sample);
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, out: Float32Array): void {
    checkStepIndex(stepIndex, this.timesteps.length);
    checkSameLength(modelOutput, sample, out);
    const alphaBar = this.alphasCumprod[this.timesteps[stepIndex]];
    const alpha = Math.sqrt(alphaBar);
    const s = Math.sqrt(1 - alphaBar);
    const prev = this.alphaCumprodPrev(stepIndex);
    const p = Math.sqrt(prev);
    const q = Math.sqrt(1 - prev);
    const x0 = x0FromVp(this.config.prediction_type, alpha, s, this.x0);
    const eps = epsFromVp(this.config.prediction_type, alpha, s, this.eps);
    const clip = this.config.clip_sample;
    const range = this.config.clip_sample_range;
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i];
      const m = modelOutput[i];
      let pred = x0.a * x + x0.b * m;
      if (clip) pred = pred < -range ? -range : pred > range ? range : pred;
      out[i] = p * pred + q * (eps.a * x + eps.b * m);
    }
  }

  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number, out: Float32Array): void {
    checkStepIndex(stepIndex, this.timesteps.length);
    checkSameLength(original, noise, out);
    addNoiseVp(this.alphasCumprod[this.timesteps[stepIndex]], original, noise, out);
  }
}
