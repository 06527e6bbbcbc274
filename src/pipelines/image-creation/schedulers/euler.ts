/**
 * Euler discrete sampler (diffusers EulerDiscreteScheduler, s_churn = 0): one Euler step of the
 * probability-flow ODE in σ. SD-Turbo's own scheduler; one step from σ_max gives x0 directly.
 */
import { checkSameLength, checkStepIndex } from './checks.js';
import { addVeNoise, eulerTables, scaleVeInput } from './euler-sigmas.js';
import { alphasCumprod, sigmasFromAlphas } from './noise-schedule.js';
import { x0FromVe, type Linear } from './prediction.js';
import type { Scheduler, SchedulerConfig } from './types.js';

export class EulerScheduler implements Scheduler {
  readonly name = 'euler' as const;
  timesteps: Float64Array = new Float64Array(0);
  /** σ per step plus the final 0. */
  sigmas: Float64Array = new Float64Array(0);
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
  }

  scaleModelInput(sample: Float32Array, stepIndex: number, out: Float32Array): void {
    checkStepIndex(stepIndex, this.timesteps.length);
    checkSameLength(sample, out);
    scaleVeInput(this.sigmas[stepIndex], sample, out);
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, out: Float32Array): void {
    checkStepIndex(stepIndex, this.timesteps.length);
    checkSameLength(modelOutput, sample, out);
    const sigma = this.sigmas[stepIndex];
    const { a, b } = x0FromVe(this.config.prediction_type, sigma, this.x0);
    // x' = x + (x − x0)/σ · (σ_next − σ)
    const k = (this.sigmas[stepIndex + 1] - sigma) / sigma;
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i];
      out[i] = x + (x - (a * x + b * modelOutput[i])) * k;
    }
  }

  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number, out: Float32Array): void {
    checkStepIndex(stepIndex, this.timesteps.length);
    checkSameLength(original, noise, out);
    addVeNoise(this.sigmas[stepIndex], original, noise, out);
  }
}
