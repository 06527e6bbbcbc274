/**
 * Denoisers whose exact answer is known, for end-to-end scheduler tests: they predict ε from
 * the UNet input and timestep alone, as a real UNet would.
 */
import { alphasCumprod, resolveSchedulerConfig, sigmasFromAlphas } from '../../src/pipelines/image-creation/schedulers/index.js';

const trainSigmas = sigmasFromAlphas(alphasCumprod(resolveSchedulerConfig('euler', {})));

/** ᾱ at a possibly fractional timestep, interpolating σ linearly as diffusers' Euler does. */
export function alphaBarAt(t: number): number {
  const i = Math.min(Math.floor(t), 998);
  const sigma = trainSigmas[i] + (t - i) * (trainSigmas[i + 1] - trainSigmas[i]);
  return 1 / (1 + sigma * sigma);
}

/** UNet input is the VP sample x = √ᾱ·x0 + √(1−ᾱ)·ε for every scheduler (Euler's scaling makes it so). */
export type EpsModel = (input: Float32Array, t: number, out: Float32Array) => void;

/** Data is exactly `target`: ε = (x − √ᾱ·target)/√(1−ᾱ). */
export function pointModel(target: Float32Array): EpsModel {
  return (input, t, out) => {
    const a = alphaBarAt(t);
    for (let i = 0; i < input.length; i++) out[i] = (input[i] - Math.sqrt(a) * target[i]) / Math.sqrt(1 - a);
  };
}

/** Data ~ N(mu, s²) per element: ε = E[ε | x] = σ·(x − αμ)/(α²s² + σ²). */
export function gaussianModel(mu: number, s: number): EpsModel {
  return (input, t, out) => {
    const a = alphaBarAt(t);
    const alpha = Math.sqrt(a);
    const sigma = Math.sqrt(1 - a);
    const k = sigma / (a * s * s + sigma * sigma);
    for (let i = 0; i < input.length; i++) out[i] = k * (input[i] - alpha * mu);
  };
}
