/**
 * Reads a diffusers `scheduler_config.json` into a SchedulerConfig. Missing keys get the
 * default diffusers would give the scheduler class that loads the file (`from_config`), so an
 * SD 1.5 folder (a PNDM config without `timestep_spacing`) gives Euler linspace spacing and
 * DDIM leading spacing, as in diffusers. Beta defaults are Stable Diffusion's (scaled_linear
 * 0.00085–0.012) rather than the classes' DDPM defaults, since every model here is an SD one.
 * Settings that would silently change the math when ignored are rejected.
 */
import { SchedulerError, type SchedulerConfig, type SchedulerName } from './types.js';

export type RawSchedulerConfig = Readonly<Record<string, unknown>>;

const SPACING_DEFAULT: Record<SchedulerName, SchedulerConfig['timestep_spacing']> = {
  euler: 'linspace',
  euler_a: 'linspace',
  ddim: 'leading',
  lcm: 'leading',
  dpmpp_2m_karras: 'linspace',
};

const CLIP_SAMPLE_DEFAULT: Record<SchedulerName, boolean> = {
  euler: false,
  euler_a: false,
  ddim: true,
  lcm: false,
  dpmpp_2m_karras: false,
};

function invalid(key: string, value: unknown, expected: string): SchedulerError {
  return new SchedulerError('SCHEDULER_CONFIG_INVALID', `scheduler config ${key}=${JSON.stringify(value)}: expected ${expected}`);
}

function numberField(raw: RawSchedulerConfig, key: string, fallback: number, check: (n: number) => boolean, expected: string): number {
  const value = raw[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || !check(value)) throw invalid(key, value, expected);
  return value;
}

function boolField(raw: RawSchedulerConfig, key: string, fallback: boolean): boolean {
  const value = raw[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw invalid(key, value, 'a boolean');
  return value;
}

function enumField<T extends string>(raw: RawSchedulerConfig, key: string, fallback: T, allowed: readonly T[]): T {
  const value = raw[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw invalid(key, value, allowed.join(' | '));
  return value as T;
}

export function resolveSchedulerConfig(name: SchedulerName, raw: RawSchedulerConfig = {}): SchedulerConfig {
  if (raw.trained_betas !== undefined && raw.trained_betas !== null) throw invalid('trained_betas', '[…]', 'absent (not supported)');
  if (raw.rescale_betas_zero_snr === true) throw invalid('rescale_betas_zero_snr', true, 'false (not supported)');
  if (raw.thresholding === true) throw invalid('thresholding', true, 'false (not supported)');
  const positiveInt = (n: number) => Number.isInteger(n) && n > 0;
  const config: SchedulerConfig = {
    num_train_timesteps: numberField(raw, 'num_train_timesteps', 1000, (n) => Number.isInteger(n) && n >= 2, 'an integer ≥ 2'),
    beta_start: numberField(raw, 'beta_start', 0.00085, (n) => n > 0 && n < 1, 'a number in (0, 1)'),
    beta_end: numberField(raw, 'beta_end', 0.012, (n) => n > 0 && n < 1, 'a number in (0, 1)'),
    beta_schedule: enumField(raw, 'beta_schedule', 'scaled_linear', ['scaled_linear', 'linear'] as const),
    timestep_spacing: enumField(raw, 'timestep_spacing', SPACING_DEFAULT[name], ['leading', 'trailing', 'linspace'] as const),
    steps_offset: numberField(raw, 'steps_offset', 0, (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0'),
    prediction_type: enumField(raw, 'prediction_type', 'epsilon', ['epsilon', 'v_prediction', 'sample'] as const),
    set_alpha_to_one: boolField(raw, 'set_alpha_to_one', true),
    clip_sample: boolField(raw, 'clip_sample', CLIP_SAMPLE_DEFAULT[name]),
    clip_sample_range: numberField(raw, 'clip_sample_range', 1, (n) => n > 0, 'a positive number'),
    original_inference_steps: numberField(raw, 'original_inference_steps', 50, positiveInt, 'a positive integer'),
    timestep_scaling: numberField(raw, 'timestep_scaling', 10, (n) => n > 0, 'a positive number'),
  };
  if (config.original_inference_steps > config.num_train_timesteps) {
    throw invalid('original_inference_steps', config.original_inference_steps, `at most num_train_timesteps (${config.num_train_timesteps})`);
  }
  return config;
}
