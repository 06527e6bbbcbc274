/** The One Euro filter's known behaviour: constants pass, slow noise shrinks, a step is followed within the cutoff's lag. */
import { describe, expect, it } from 'vitest';
import { alpha, OneEuroFilter } from '../../src/pipelines/face-swap/video/one-euro.js';
import { mulberry32 } from '../support/mulberry32.js';

/** A reproducible uniform noise in [−1, 1]. */
function noise(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() * 2 - 1;
}

const rms = (xs: number[]) => Math.sqrt(xs.reduce((s, x) => s + x * x, 0) / xs.length);

describe('OneEuroFilter', () => {
  it('passes a constant signal unchanged, on every channel', () => {
    const f = new OneEuroFilter({ minCutoff: 1, beta: 0.5, dCutoff: 1 });
    for (let i = 0; i < 50; i++) expect([...f.filter([3.25, -7, 0], i / 30)]).toEqual([3.25, -7, 0]);
  });

  it('reduces noise around a still value (low speed) to a fraction of it', () => {
    const f = new OneEuroFilter({ minCutoff: 1, beta: 0.01, dCutoff: 1 });
    const rand = noise(7);
    const raw: number[] = [], out: number[] = [];
    for (let i = 0; i < 300; i++) {
      const v = 100 + 2 * rand();
      raw.push(v - 100);
      out.push(f.filter([v], i / 30)[0] - 100);
    }
    // After the first second (the filter starts at the first sample), the residual noise is well under the input's.
    // An exponential filter at α leaves √(α/(2 − α)) of white noise: 0.31 for 1 Hz at 30 fps; beta lifts it a little.
    expect(rms(out.slice(30))).toBeLessThan(0.5 * rms(raw.slice(30)));
  });

  it('follows a step with the lag of its cutoff: 95% within 3(τ + dt), τ = 1/(2π·fc), at beta 0, faster with beta', () => {
    const fc = 2, dt = 1 / 60;
    const slow = new OneEuroFilter({ minCutoff: fc, beta: 0, dCutoff: 1 });
    const quick = new OneEuroFilter({ minCutoff: fc, beta: 1, dCutoff: 1 });
    slow.filter([0], 0);
    quick.filter([0], 0);
    const tau = 1 / (2 * Math.PI * fc);
    let reachedSlow = -1, reachedQuick = -1;
    for (let i = 1; i <= 120; i++) {
      const s = slow.filter([10], i * dt)[0];
      const q = quick.filter([10], i * dt)[0];
      expect(s).toBeLessThanOrEqual(10);
      if (reachedSlow < 0 && s >= 9.5) reachedSlow = i * dt;
      if (reachedQuick < 0 && q >= 9.5) reachedQuick = i * dt;
    }
    // The discrete filter's residual after n samples is (1 − α)^n; 5% left takes n = ln 0.05 / ln(1 − α).
    const expected = Math.ceil(Math.log(0.05) / Math.log(1 - alpha(fc, dt))) * dt;
    expect(reachedSlow).toBeCloseTo(expected, 6);
    // The sampled filter lags by about half a sample more than the continuous one: 3(τ + dt) bounds it.
    expect(reachedSlow).toBeLessThanOrEqual(3 * (tau + dt));
    expect(reachedQuick).toBeGreaterThan(0);
    expect(reachedQuick).toBeLessThan(reachedSlow);
  });

  it('keeps its output for a repeated timestamp and starts over after reset', () => {
    const f = new OneEuroFilter({ minCutoff: 1, beta: 0, dCutoff: 1 });
    f.filter([0], 0);
    const a = f.filter([10], 0.1)[0];
    expect(f.filter([50], 0.1)[0]).toBe(a);
    f.reset();
    expect(f.filter([42], 5)[0]).toBe(42);
  });
});
