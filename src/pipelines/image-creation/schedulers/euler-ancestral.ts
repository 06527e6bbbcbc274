/**
 * Euler ancestral sampler (diffusers EulerAncestralDiscreteScheduler): an Euler step down to
 * σ_down, then fresh noise of size σ_up, so that the marginal noise level lands on σ_next.
 */
import { checkSameLength, checkStepIndex, requireNoise } from './checks.js';
import { addVeNoise, eulerTables, scaleVeInput } from './euler-sigmas.js';
import { alphasCumprod, sigmasFromAlphas } from './noise-schedule.js';
import { x0FromVe, type Linear } from './prediction.js';
import type { NoiseSource, Scheduler, SchedulerConfig } from './types.js';

export class EulerAncestralScheduler implements Scheduler {
  readonly name = 'euler_a' as const;
  timesteps: Float64Array = new Float64Array(0);
  sigmas: Float64Array = new Float64Array(0);
  /** Per step: the noise added back, and the level the deterministic part steps to. */
  sigmaUp: Float64Array = new Float64Array(0);
  sigmaDown: Float64Array = new Float64Array(0);
  initNoiseSigma = 1;
  private readonly trainSigmas: Float64Array;
  private readonly x0: Linear = { a: 1, b: 0 };

  constructor(readonly config: SchedulerConfig) {
    this.trainSigmas = sigmasFromAlphas(alphasCumprod(config));
  }

  setTimesteps(steps: number): void {
    const tables = eulerTables(this.config, this.trainSigmas, steps);
    this.timesteps = tables.timesteps;
    this.sigmas = tables.sigmas;
    this.initNoiseSigma = tables.initNoiseSigma;
    this.sigmaUp = new Float64Array(steps);
    this.sigmaDown = new Float64Array(steps);
    for (let i = 0; i < steps; i++) {
      const from = tables.sigmas[i];
      const to = tables.sigmas[i + 1];
      const up = Math.sqrt((to * to * (from * from - to * to)) / (from * from));
      this.sigmaUp[i] = up;
      this.sigmaDown[i] = Math.sqrt(Math.max(0, to * to - up * up));
    }
  }

  scaleModelInput(sample: Float32Array, stepIndex: number, out: Float32Array): void {
    checkStepIndex(stepIndex, this.timesteps.length);
    checkSameLength(sample, out);
    scaleVeInput(this.sigmas[stepIndex], sample, out);
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, out: Float32Array, noise?: NoiseSource): void {
    checkStepIndex(stepIndex, this.timesteps.length);
    checkSameLength(modelOutput, sample, out);
    const sigma = this.sigmas[stepIndex];
    const up = this.sigmaUp[stepIndex];
    const { a, b } = x0FromVe(this.config.prediction_type, sigma, this.x0);
    const k = (this.sigmaDown[stepIndex] - sigma) / sigma;
    if (up === 0) {
      // The last step (σ_next = 0) adds no noise: no draws, so the noise stream is not consumed.
      for (let i = 0; i < sample.length; i++) {
        const x = sample[i];
        out[i] = x + (x - (a * x + b * modelOutput[i])) * k;
      }
      return;
    }
    const draw = requireNoise(noise, this.name);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i];
      out[i] = x + (x - (a * x + b * modelOutput[i])) * k + draw() * up;
    }
  }

  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number, out: Float32Array): void {
    checkStepIndex(stepIndex, this.timesteps.length);
    checkSameLength(original, noise, out);
    addVeNoise(this.sigmas[stepIndex], original, noise, out);
  }
}
