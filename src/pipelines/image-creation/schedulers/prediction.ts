/**
 * What the UNet predicts (ε, v or x0) turned into the x0 estimate as `x0 = a·x + b·output`, so
 * each scheduler's inner loop is one fused multiply-add per element whatever the model type.
 */
import type { PredictionType } from './types.js';

export interface Linear {
  a: number;
  b: number;
}

/**
 * Variance-preserving view, x = α·x0 + s·ε with α = √ᾱ, s = √(1−ᾱ) (DDIM, LCM, DPM-Solver).
 * v = α·ε − s·x0, so x0 = α·x − s·v.
 */
export function x0FromVp(prediction: PredictionType, alpha: number, s: number, into: Linear): Linear {
  switch (prediction) {
    case 'epsilon':
      into.a = 1 / alpha;
      into.b = -s / alpha;
      break;
    case 'v_prediction':
      into.a = alpha;
      into.b = -s;
      break;
    case 'sample':
      into.a = 0;
      into.b = 1;
      break;
  }
  return into;
}

/** ε implied by the same prediction in the VP view (DDIM's direction term). */
export function epsFromVp(prediction: PredictionType, alpha: number, s: number, into: Linear): Linear {
  switch (prediction) {
    case 'epsilon':
      into.a = 0;
      into.b = 1;
      break;
    case 'v_prediction':
      into.a = s;
      into.b = alpha;
      break;
    case 'sample':
      into.a = 1 / s;
      into.b = -alpha / s;
      break;
  }
  return into;
}

/**
 * Variance-exploding view of the Euler family, x = x0 + σ·ε, where the UNet saw x/√(σ²+1)
 * (for v: x0 = x/(σ²+1) − v·σ/√(σ²+1), as in diffusers' Euler schedulers).
 */
export function x0FromVe(prediction: PredictionType, sigma: number, into: Linear): Linear {
  switch (prediction) {
    case 'epsilon':
      into.a = 1;
      into.b = -sigma;
      break;
    case 'v_prediction':
      into.a = 1 / (sigma * sigma + 1);
      into.b = -sigma / Math.sqrt(sigma * sigma + 1);
      break;
    case 'sample':
      into.a = 0;
      into.b = 1;
      break;
  }
  return into;
}
