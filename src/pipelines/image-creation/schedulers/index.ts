/**
 * Scheduler factory: name + the model's scheduler_config.json → a Scheduler. Names follow the
 * API's `scheduler` parameter.
 */
import { resolveSchedulerConfig, type RawSchedulerConfig } from './config.js';
import { DdimScheduler } from './ddim.js';
import { DpmppTwoMKarrasScheduler } from './dpmpp-2m-karras.js';
import { EulerAncestralScheduler } from './euler-ancestral.js';
import { EulerScheduler } from './euler.js';
import { LcmScheduler } from './lcm.js';
import type { Scheduler, SchedulerName } from './types.js';

export const SCHEDULER_NAMES: readonly SchedulerName[] = Object.freeze(['euler', 'euler_a', 'ddim', 'lcm', 'dpmpp_2m_karras']);

export function isSchedulerName(value: unknown): value is SchedulerName {
  return typeof value === 'string' && (SCHEDULER_NAMES as readonly string[]).includes(value);
}

/** `config` is the parsed scheduler_config.json (unknown keys such as `_class_name` are ignored). */
export function createScheduler(name: SchedulerName, config: RawSchedulerConfig = {}): Scheduler {
  const resolved = resolveSchedulerConfig(name, config);
  switch (name) {
    case 'euler':
      return new EulerScheduler(resolved);
    case 'euler_a':
      return new EulerAncestralScheduler(resolved);
    case 'ddim':
      return new DdimScheduler(resolved);
    case 'lcm':
      return new LcmScheduler(resolved);
    case 'dpmpp_2m_karras':
      return new DpmppTwoMKarrasScheduler(resolved);
  }
}

export { resolveSchedulerConfig } from './config.js';
export type { RawSchedulerConfig } from './config.js';
export { getGuidanceScaleEmbedding } from './guidance-embedding.js';
export { alphasCumprod, sigmasFromAlphas } from './noise-schedule.js';
export { DdimScheduler } from './ddim.js';
export { DpmppTwoMKarrasScheduler, karrasSigmas } from './dpmpp-2m-karras.js';
export { EulerAncestralScheduler } from './euler-ancestral.js';
export { EulerScheduler } from './euler.js';
export { LcmScheduler } from './lcm.js';
export { SchedulerError } from './types.js';
export type { NoiseSource, PredictionType, Scheduler, SchedulerConfig, SchedulerName, TimestepSpacing } from './types.js';
