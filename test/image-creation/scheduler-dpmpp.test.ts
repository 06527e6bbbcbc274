/**
 * DPM++ 2M Karras against a plain float64 re-derivation of diffusers'
 * DPMSolverMultistepScheduler (dpmsolver++, order 2, midpoint, Karras sigmas, final σ = 0),
 * written here step by step in the paper's α/σ/λ notation, plus literal values printed by a
 * numpy transcription of the same formulas.
 */
import { describe, expect, it } from 'vitest';
import {
  DpmppTwoMKarrasScheduler,
  alphasCumprod,
  createScheduler,
  resolveSchedulerConfig,
  sigmasFromAlphas,
} from '../../src/pipelines/image-creation/schedulers/index.js';

const trainSigmas = sigmasFromAlphas(alphasCumprod(resolveSchedulerConfig('dpmpp_2m_karras', {})));

function referenceSigmas(n: number): number[] {
  const sMin = trainSigmas[0];
  const sMax = trainSigmas[999];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = n === 1 ? 0 : i / (n - 1);
    out.push((sMax ** (1 / 7) + r * (sMin ** (1 / 7) - sMax ** (1 / 7))) ** 7);
  }
  return out;
}

/** σ → t by bisection on the ascending log-σ table, then linear interpolation in log σ. */
function referenceTimestep(sigma: number): number {
  const target = Math.log(sigma);
  let lo = 0;
  let hi = 999;
  if (target <= Math.log(trainSigmas[0])) return 0;
  if (target >= Math.log(trainSigmas[999])) return 999;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (Math.log(trainSigmas[mid]) <= target) lo = mid;
    else hi = mid;
  }
  const w = (target - Math.log(trainSigmas[lo])) / (Math.log(trainSigmas[hi]) - Math.log(trainSigmas[lo]));
  const t = lo + w;
  // numpy round: half to even
  const r = Math.round(t);
  return Math.abs(t % 1) === 0.5 ? 2 * Math.round(t / 2) : r;
}

/** α_t, σ_t (VP) and λ_t for a Karras σ. */
function vp(sigma: number): { alpha: number; sigmaT: number; lambda: number } {
  const alpha = 1 / Math.sqrt(sigma * sigma + 1);
  const sigmaT = sigma * alpha;
  return { alpha, sigmaT, lambda: Math.log(alpha) - Math.log(sigmaT) };
}

/** A model that is not linear in x nor constant in t, so history handling matters. */
function model(x: number, t: number, k: number): number {
  return 0.6 * x + 0.2 * Math.sin(t / 97 + k) - 0.05 * x * x * 0.1;
}

/** diffusers' sampler loop in float64 for one element. */
function referenceRun(x0: number, k: number, steps: number): number[] {
  const sigmas = [...referenceSigmas(steps), 0];
  const timesteps = sigmas.slice(0, steps).map(referenceTimestep);
  let x = x0;
  let previousX0 = 0;
  const trajectory: number[] = [];
  for (let i = 0; i < steps; i++) {
    const s0 = vp(sigmas[i]);
    const eps = model(x, timesteps[i], k);
    const d0 = (x - s0.sigmaT * eps) / s0.alpha;
    if (sigmas[i + 1] === 0) {
      x = d0;
    } else {
      const t = vp(sigmas[i + 1]);
      const h = t.lambda - s0.lambda;
      if (i === 0 || i === steps - 1) {
        x = (t.sigmaT / s0.sigmaT) * x - t.alpha * (Math.exp(-h) - 1) * d0;
      } else {
        const s1 = vp(sigmas[i - 1]);
        const r0 = (s0.lambda - s1.lambda) / h;
        const d1 = (1 / r0) * (d0 - previousX0);
        x = (t.sigmaT / s0.sigmaT) * x - t.alpha * (Math.exp(-h) - 1) * d0 - 0.5 * t.alpha * (Math.exp(-h) - 1) * d1;
      }
    }
    previousX0 = d0;
    trajectory.push(x);
  }
  return trajectory;
}

describe('DPM++ 2M Karras', () => {
  it('Karras sigmas and timesteps match the re-derivation and numpy', () => {
    for (const steps of [1, 2, 4, 10, 20, 25, 50]) {
      const s = createScheduler('dpmpp_2m_karras') as DpmppTwoMKarrasScheduler;
      s.setTimesteps(steps);
      const sigmas = referenceSigmas(steps);
      expect(s.sigmas.length).toBe(steps + 1);
      expect(s.sigmas[steps]).toBe(0);
      for (let i = 0; i < steps; i++) expect(Math.abs(s.sigmas[i] - sigmas[i])).toBeLessThanOrEqual(1e-12 * sigmas[i]);
      expect(Array.from(s.timesteps)).toEqual(sigmas.map(referenceTimestep));
      expect(s.initNoiseSigma).toBe(1);
    }
    const s = createScheduler('dpmpp_2m_karras') as DpmppTwoMKarrasScheduler;
    s.setTimesteps(20);
    expect(Array.from(s.timesteps)).toEqual([999, 962, 921, 876, 827, 772, 710, 640, 561, 474, 380, 285, 197, 123, 69, 35, 15, 6, 2, 0]);
    expect(s.sigmas[1]).toBeCloseTo(11.725364849528342, 10);
    expect(s.sigmas[10]).toBeCloseTo(1.0907858676660929, 10);
    s.setTimesteps(4);
    expect(Array.from(s.timesteps)).toEqual([999, 687, 146, 0]);
    const numpy = [14.614641229333643, 3.168603072959619, 0.44691820937343973, 0.02916715815172038, 0];
    for (let i = 0; i < 5; i++) expect(s.sigmas[i]).toBeCloseTo(numpy[i], 10);
  });

  it('4 steps with x = 1 and a constant ε = 0.5 (numpy values)', () => {
    const s = createScheduler('dpmpp_2m_karras');
    s.setTimesteps(4);
    const x = new Float32Array([1]);
    const trajectory: number[] = [];
    for (let i = 0; i < 4; i++) {
      s.step(new Float32Array([0.5]), i, x, x);
      trajectory.push(x[0]);
    }
    const numpy = [2.686342925568156, 6.906584887539009, 7.352949511785478, 7.341492929854069];
    for (let i = 0; i < 4; i++) expect(Math.abs(trajectory[i] - numpy[i])).toBeLessThanOrEqual(1e-5 * Math.abs(numpy[i]));
  });

  it.each([4, 10, 20, 30])('every step of a %i-step run agrees with the float64 re-derivation to 1e-5', (steps) => {
    const n = 8;
    const s = createScheduler('dpmpp_2m_karras');
    s.setTimesteps(steps, n);
    const x = new Float32Array(n);
    for (let k = 0; k < n; k++) x[k] = (k - 3.5) * 0.7;
    const references = Array.from(x, (v, k) => referenceRun(v, k, steps));
    const eps = new Float32Array(n);
    const input = new Float32Array(n);
    for (let i = 0; i < steps; i++) {
      s.scaleModelInput(x, i, input);
      for (let k = 0; k < n; k++) eps[k] = model(input[k], s.timesteps[i], k);
      s.step(eps, i, x, x);
      for (let k = 0; k < n; k++) {
        const ref = references[k][i];
        expect(Math.abs(x[k] - ref), `step ${i}, element ${k}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(ref)));
      }
    }
  });

  it('takes a first-order step when the history does not belong to the previous step (img2img start)', () => {
    const a = createScheduler('dpmpp_2m_karras');
    const b = createScheduler('dpmpp_2m_karras');
    a.setTimesteps(10);
    b.setTimesteps(10);
    const x = new Float32Array([0.4]);
    const outA = new Float32Array(1);
    const outB = new Float32Array(1);
    // b has a stale history from step 2; starting at step 5 must ignore it
    b.step(new Float32Array([0.1]), 2, x, outB);
    a.step(new Float32Array([0.3]), 5, x, outA);
    b.step(new Float32Array([0.3]), 5, x, outB);
    expect(outB[0]).toBe(outA[0]);
  });
});
