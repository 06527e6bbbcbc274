import { SchedulerError } from './types.js';

export function checkStepIndex(stepIndex: number, steps: number): void {
  if (steps === 0) throw new SchedulerError('SCHEDULER_MISUSE', 'setTimesteps must be called before stepping');
  if (!Number.isInteger(stepIndex) || stepIndex < 0 || stepIndex >= steps) {
    throw new SchedulerError('SCHEDULER_MISUSE', `step index ${stepIndex} is outside [0, ${steps})`);
  }
}

export function checkSameLength(...arrays: Float32Array[]): void {
  const n = arrays[0].length;
  for (const a of arrays) {
    if (a.length !== n) throw new SchedulerError('SCHEDULER_MISUSE', `buffer lengths differ (${n} vs ${a.length})`);
  }
}

export function requireNoise(noise: (() => number) | undefined, scheduler: string): () => number {
  if (noise === undefined) throw new SchedulerError('SCHEDULER_MISUSE', `${scheduler} adds noise during sampling: pass a noise source to step()`);
  return noise;
}
