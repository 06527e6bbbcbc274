/**
 * DPM-Solver++(2M) with Karras sigmas (diffusers DPMSolverMultistepScheduler with
 * algorithm_type "dpmsolver++", solver_order 2, solver_type "midpoint", use_karras_sigmas,
 * final_sigmas_type "zero"): a second-order multistep solver in log-SNR λ = ln(α/σ) that
 * reuses the previous step's x0 estimate; the first step and the final step (to σ = 0) are
 * first order.
 */
import { checkSameLength, checkStepIndex } from './checks.js';
import { alphasCumprod, checkSteps, linspace, roundHalfEven, sigmasFromAlphas } from './noise-schedule.js';
import { x0FromVp, type Linear } from './prediction.js';
import type { Scheduler, SchedulerConfig } from './types.js';

/** Karras et al. (2022) use ρ = 7: more steps at low noise. */
const RHO = 7;

/** σ_i = (σ_max^(1/ρ) + i/(n−1)·(σ_min^(1/ρ) − σ_max^(1/ρ)))^ρ */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, steps: number): Float64Array {
  const ramp = linspace(0, 1, steps);
  const lo = sigmaMin ** (1 / RHO);
  const hi = sigmaMax ** (1 / RHO);
  return ramp.map((r) => (hi + r * (lo - hi)) ** RHO);
}

/** diffusers `_sigma_to_t`: linear interpolation in log σ over the training table (ascending). */
export function sigmaToTimestep(sigma: number, logTrainSigmas: Float64Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  const n = logTrainSigmas.length;
  // the last index whose log σ is ≤ this one, kept so that low + 1 is in range
  let low = 0;
  for (let i = 0; i < n; i++) if (logSigma >= logTrainSigmas[i]) low = i;
  low = Math.min(low, n - 2);
  const lo = logTrainSigmas[low];
  const hi = logTrainSigmas[low + 1];
  const w = Math.min(1, Math.max(0, (lo - logSigma) / (lo - hi)));
  return (1 - w) * low + w * (low + 1);
}

export class DpmppTwoMKarrasScheduler implements Scheduler {
  readonly name = 'dpmpp_2m_karras' as const;
  readonly initNoiseSigma = 1;
  timesteps: Float64Array = new Float64Array(0);
  /** Karras σ per step plus the final 0. */
  sigmas: Float64Array = new Float64Array(0);
  private readonly trainSigmas: Float64Array;
  private readonly logTrainSigmas: Float64Array;
  /** x0 estimates of the current and previous step, swapped rather than copied. */
  private x0Current: Float32Array = new Float32Array(0);
  private x0Previous: Float32Array = new Float32Array(0);
  /** Step index whose x0 is in x0Previous; −1 when there is no usable history. */
  private lastStep = -1;
  private readonly x0: Linear = { a: 1, b: 0 };

  constructor(readonly config: SchedulerConfig) {
    this.trainSigmas = sigmasFromAlphas(alphasCumprod(config));
    this.logTrainSigmas = this.trainSigmas.map(Math.log);
  }

  setTimesteps(steps: number, sampleSize?: number): void {
    checkSteps(steps, this.config.num_train_timesteps);
    const n = this.trainSigmas.length;
    const karras = karrasSigmas(this.trainSigmas[0], this.trainSigmas[n - 1], steps);
    this.sigmas = new Float64Array(steps + 1);
    this.sigmas.set(karras);
    this.timesteps = karras.map((s) => roundHalfEven(sigmaToTimestep(s, this.logTrainSigmas)));
    this.lastStep = -1;
    if (sampleSize !== undefined) this.ensureHistory(sampleSize);
  }

  scaleModelInput(sample: Float32Array, stepIndex: number, out: Float32Array): void {
    checkStepIndex(stepIndex, this.timesteps.length);
    checkSameLength(sample, out);
    if (out !== sample) out.set(sample);
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, out: Float32Array): void {
    const steps = this.timesteps.length;
    checkStepIndex(stepIndex, steps);
    checkSameLength(modelOutput, sample, out);
    this.ensureHistory(sample.length);
    const secondOrder = stepIndex > 0 && this.lastStep === stepIndex - 1 && stepIndex < steps - 1;
    [this.x0Current, this.x0Previous] = [this.x0Previous, this.x0Current];
    const d0 = this.x0Current;
    const previous = this.x0Previous;

    // VP coefficients of the current noise level: α = 1/√(σ²+1), σ_t = σ·α.
    const sigma = this.sigmas[stepIndex];
    const alphaS = 1 / Math.sqrt(sigma * sigma + 1);
    const { a, b } = x0FromVp(this.config.prediction_type, alphaS, sigma * alphaS, this.x0);
    for (let i = 0; i < sample.length; i++) d0[i] = a * sample[i] + b * modelOutput[i];
    this.lastStep = stepIndex;

    const sigmaNext = this.sigmas[stepIndex + 1];
    if (sigmaNext === 0) {
      // λ → ∞: the first-order update reduces to x0 itself.
      out.set(d0);
      return;
    }
    const alphaT = 1 / Math.sqrt(sigmaNext * sigmaNext + 1);
    const h = lambda(sigmaNext) - lambda(sigma);
    // x' = (σ_t/σ_s)·x − α_t(e^−h − 1)·D0 [− ½α_t(e^−h − 1)·D1], σ's in the VP view (σ·α)
    const ratioVp = (sigmaNext * alphaT) / (sigma * alphaS);
    const c0 = -alphaT * Math.expm1(-h);
    if (!secondOrder) {
      for (let i = 0; i < sample.length; i++) out[i] = ratioVp * sample[i] + c0 * d0[i];
      return;
    }
    const r0 = (lambda(sigma) - lambda(this.sigmas[stepIndex - 1])) / h;
    const c1 = (0.5 * c0) / r0;
    for (let i = 0; i < sample.length; i++) {
      const m0 = d0[i];
      out[i] = ratioVp * sample[i] + c0 * m0 + c1 * (m0 - previous[i]);
    }
  }

  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number, out: Float32Array): void {
    checkStepIndex(stepIndex, this.timesteps.length);
    checkSameLength(original, noise, out);
    const sigma = this.sigmas[stepIndex];
    const alpha = 1 / Math.sqrt(sigma * sigma + 1);
    for (let i = 0; i < original.length; i++) out[i] = alpha * original[i] + sigma * alpha * noise[i];
  }

  private ensureHistory(size: number): void {
    if (this.x0Current.length === size) return;
    this.x0Current = new Float32Array(size);
    this.x0Previous = new Float32Array(size);
    this.lastStep = -1;
  }
}

/** λ = ln(α) − ln(σ_vp) = −ln σ for the VE σ (α = 1/√(σ²+1), σ_vp = σ·α). */
function lambda(sigma: number): number {
  return -Math.log(sigma);
}
