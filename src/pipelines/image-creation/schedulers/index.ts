/**
 * Scheduler factory: name + the model's scheduler_config.json → a Scheduler. The names are the
 * API's `scheduler` parameter (names.ts).
 */
import { resolveSchedulerConfig, type RawSchedulerConfig } from './config.js';
import { DdimScheduler } from './ddim.js';
import { DpmppTwoMKarrasScheduler } from './dpmpp-2m-karras.js';
import { EulerAncestralScheduler } from './euler-ancestral.js';
import { EulerScheduler } from './euler.js';
import { LcmScheduler } from './lcm.js';
import type { SchedulerName } from './names.js';
import type { Scheduler, SchedulerConfig } from './types.js';

// Keyed by the names list's type: a name without a class (or a class without a name) fails to compile.
const CLASSES: Readonly<Record<SchedulerName, new (config: SchedulerConfig) => Scheduler>> = {
  euler: EulerScheduler,
  euler_a: EulerAncestralScheduler,
  ddim: DdimScheduler,
  lcm: LcmScheduler,
  dpmpp_2m_karras: DpmppTwoMKarrasScheduler,
};

/** `config` is the parsed scheduler_config.json (unknown keys such as `_class_name` are ignored). */
export function createScheduler(name: SchedulerName, config: RawSchedulerConfig = {}): Scheduler {
  return new CLASSES[name](resolveSchedulerConfig(name, config));
}

export { SCHEDULER_NAMES, isSchedulerName } from './names.js';
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
