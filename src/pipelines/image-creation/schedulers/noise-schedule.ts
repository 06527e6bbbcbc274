/**
 * The training noise schedule and the inference timestep selection shared by the schedulers,
 * following diffusers (float64 here; diffusers keeps ᾱ in float32, a relative difference of
 * ~1e-6: σ_max is 14.614642 here, 14.61466 there).
 */
import { SchedulerError, type SchedulerConfig } from './types.js';

/** numpy.linspace(start, stop, num) including its exact last element. */
export function linspace(start: number, stop: number, num: number, endpoint = true): Float64Array {
  const out = new Float64Array(num);
  const div = endpoint ? num - 1 : num;
  const step = div > 0 ? (stop - start) / div : 0;
  for (let i = 0; i < num; i++) out[i] = start + i * step;
  if (endpoint && num > 1) out[num - 1] = stop;
  return out;
}

/** numpy.round: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 ? 2 * Math.round(x / 2) : r;
}

/** ᾱ_t = ∏_{s≤t} (1 − β_s). */
export function alphasCumprod(config: SchedulerConfig): Float64Array {
  const n = config.num_train_timesteps;
  const betas =
    config.beta_schedule === 'scaled_linear'
      ? linspace(Math.sqrt(config.beta_start), Math.sqrt(config.beta_end), n).map((b) => b * b)
      : linspace(config.beta_start, config.beta_end, n);
  const out = new Float64Array(n);
  let product = 1;
  for (let i = 0; i < n; i++) {
    product *= 1 - betas[i];
    out[i] = product;
  }
  return out;
}

/** σ_t = √((1 − ᾱ_t)/ᾱ_t): the noise level of the variance-exploding view. */
export function sigmasFromAlphas(alphasCumprod: Float64Array): Float64Array {
  return alphasCumprod.map((a) => Math.sqrt((1 - a) / a));
}

/** numpy.interp(x, arange(len(table)), table) for x inside the table. */
export function interpolate(table: Float64Array, x: number): number {
  if (x <= 0) return table[0];
  const last = table.length - 1;
  if (x >= last) return table[last];
  const i = Math.floor(x);
  const f = x - i;
  return f === 0 ? table[i] : table[i] + f * (table[i + 1] - table[i]);
}

export function checkSteps(steps: number, max: number): void {
  if (!Number.isInteger(steps) || steps < 1 || steps > max) {
    throw new SchedulerError('SCHEDULER_MISUSE', `inference steps must be an integer in [1, ${max}], got ${steps}`);
  }
}

/**
 * Inference timesteps, descending, per `timestep_spacing`. `linspace` values are fractional:
 * Euler keeps them (as float32, like diffusers), DDIM rounds them; `integer` selects the latter.
 */
export function spacedTimesteps(config: SchedulerConfig, steps: number, kind: 'float32' | 'integer'): Float64Array {
  const T = config.num_train_timesteps;
  checkSteps(steps, T);
  const out = new Float64Array(steps);
  switch (config.timestep_spacing) {
    case 'linspace': {
      const ts = linspace(0, T - 1, steps);
      for (let i = 0; i < steps; i++) {
        const t = ts[steps - 1 - i];
        out[i] = kind === 'integer' ? roundHalfEven(t) : Math.fround(t);
      }
      break;
    }
    case 'leading': {
      const ratio = Math.floor(T / steps);
      for (let i = 0; i < steps; i++) out[i] = (steps - 1 - i) * ratio + config.steps_offset;
      break;
    }
    case 'trailing': {
      // numpy: arange(T, 0, −T/steps).round() − 1
      const ratio = T / steps;
      for (let i = 0; i < steps; i++) out[i] = roundHalfEven(T - i * ratio) - 1;
      break;
    }
  }
  if (out[0] > T - 1) {
    throw new SchedulerError('SCHEDULER_MISUSE', `steps_offset ${config.steps_offset} with ${steps} steps goes past timestep ${T - 1}`);
  }
  return out;
}

/** q(x_t | x_0) in the variance-preserving view: out = √ᾱ·x0 + √(1−ᾱ)·ε (DDIM and LCM img2img). */
export function addNoiseVp(alphaBar: number, original: Float32Array, noise: Float32Array, out: Float32Array): void {
  const alpha = Math.sqrt(alphaBar);
  const s = Math.sqrt(1 - alphaBar);
  for (let i = 0; i < original.length; i++) out[i] = alpha * original[i] + s * noise[i];
}
