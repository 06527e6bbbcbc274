/**
 * What the Euler and Euler-ancestral samplers share: the timestep and σ tables (diffusers'
 * set_timesteps) and the variance-exploding view x = x0 + σ·ε they step in.
 */
import { interpolate, spacedTimesteps } from './noise-schedule.js';
import type { SchedulerConfig } from './types.js';

export interface EulerTables {
  timesteps: Float64Array;
  /** One per step plus the final 0. */
  sigmas: Float64Array;
  initNoiseSigma: number;
}

export function eulerTables(config: SchedulerConfig, trainSigmas: Float64Array, steps: number): EulerTables {
  const timesteps = spacedTimesteps(config, steps, 'float32');
  const sigmas = new Float64Array(steps + 1);
  for (let i = 0; i < steps; i++) sigmas[i] = interpolate(trainSigmas, timesteps[i]);
  let max = 0;
  for (let i = 0; i < steps; i++) max = Math.max(max, sigmas[i]);
  // diffusers' rule, kept as is so initial latents match: σ_max, or √(σ_max²+1) for leading.
  const initNoiseSigma = config.timestep_spacing === 'leading' ? Math.sqrt(max * max + 1) : max;
  return { timesteps, sigmas, initNoiseSigma };
}

/** The UNet was trained on unit-variance inputs: it sees x/√(σ²+1). */
export function scaleVeInput(sigma: number, sample: Float32Array, out: Float32Array): void {
  const scale = 1 / Math.sqrt(sigma * sigma + 1);
  for (let i = 0; i < sample.length; i++) out[i] = sample[i] * scale;
}

/** x = x0 + σ·ε: the latent at σ (img2img and video in-betweens start here). */
export function addVeNoise(sigma: number, original: Float32Array, noise: Float32Array, out: Float32Array): void {
  for (let i = 0; i < original.length; i++) out[i] = original[i] + noise[i] * sigma;
}
