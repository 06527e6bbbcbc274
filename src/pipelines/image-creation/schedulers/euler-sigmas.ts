/** Timesteps and σ table shared by the Euler and Euler-ancestral samplers (diffusers' set_timesteps). */
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
