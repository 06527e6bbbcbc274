/** Seeded random weights for generated test models: the same seed gives byte-identical models. */
import { mulberry32 } from './mulberry32.js';

/** Deterministic uniform numbers in [-1, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() * 2 - 1;
}

export function randomFloats(rand: () => number, n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rand() * scale;
  return out;
}
