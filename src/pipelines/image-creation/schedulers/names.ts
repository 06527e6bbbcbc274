/**
 * The one list of scheduler names. The request schema's `scheduler` enum (and so the OpenAPI
 * document), the SchedulerName type and the factory's table all read it; a sampler is added
 * here and in the factory, nowhere else. Kept free of imports so the API process can read it
 * without loading any sampler code.
 */

export const SCHEDULER_NAMES = Object.freeze(['euler', 'euler_a', 'ddim', 'lcm', 'dpmpp_2m_karras'] as const);

export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

export function isSchedulerName(value: unknown): value is SchedulerName {
  return typeof value === 'string' && (SCHEDULER_NAMES as readonly string[]).includes(value);
}
