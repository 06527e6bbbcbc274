/**
 * Shared test support: a seeded PRNG with a fresh seed per run (printed, and fixed
 * with TEST_SEED=…), random inputs, and the two backends.
 *
 * The native addon is REQUIRED unless BACKSERV_NATIVE=0: CI builds it, so a missing
 * build must fail these tests rather than silently test only the fallback.
 */
import { loadNativeKernels, ADDON_PATH } from '../../src/native/addon.js';
import { fallbackKernels } from '../../src/native/index.js';
import type { Kernels } from '../../src/native/types.js';
import { mulberry32 } from '../support/mulberry32.js';

export const SEED = Number(process.env.TEST_SEED ?? Math.floor(Math.random() * 2 ** 32));
console.log(`native kernel tests: TEST_SEED=${SEED}`);

export const nativeWanted = process.env.BACKSERV_NATIVE !== '0';

function loadNativeOrExplain(): Kernels | undefined {
  if (!nativeWanted) return undefined;
  try {
    return loadNativeKernels();
  } catch (err) {
    throw new Error(
      `the native addon (${ADDON_PATH}) did not load: ${(err as Error).message}. ` +
      'Build it with `npm run build:native`, or set BACKSERV_NATIVE=0 to test only the TypeScript fallback.',
    );
  }
}

export const native = loadNativeOrExplain();
export const fallback = fallbackKernels;
/** Every backend under test, each checked against the slow references. */
export const backends: Kernels[] = native ? [fallback, native] : [fallback];

/** mulberry32: small, fast, good enough to generate test data. */
export const rng = mulberry32;

export type Rand = ReturnType<typeof rng>;

export function int(r: Rand, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

export function pick<T>(r: Rand, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

export function randomU8(r: Rand, n: number): Uint8Array {
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.floor(r() * 256);
  return a;
}

export function randomF32(r: Rand, n: number, lo: number, hi: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + r() * (hi - lo);
  return a;
}

/** Image sizes that exercise 1×1, odd widths, primes, and (sometimes) the threaded path. */
export function randomSize(r: Rand, round: number): [number, number] {
  if (round === 0) return [1, 1];
  if (round === 1) return [1, int(r, 2, 9)];
  if (round === 2) return [int(r, 2, 9), 1];
  if (round % 5 === 0) return [int(r, 300, 701), int(r, 130, 333)];
  return [int(r, 1, 67), int(r, 1, 53)];
}

/** Round half to even, written the obvious way. NaN → 0, then clamp to [0, 255]. */
export function refRoundU8(v: number): number {
  if (Number.isNaN(v)) return 0;
  const c = Math.min(255, Math.max(0, v));
  const fl = Math.floor(c);
  const diff = c - fl;
  if (diff > 0.5) return fl + 1;
  if (diff < 0.5) return fl;
  return fl % 2 === 0 ? fl : fl + 1;
}

/** Largest |a-b| / max(1, |b|) over two arrays (NaN counts as infinitely far). */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  return worst;
}

/** Index of the first differing element, or -1 (compares bit patterns for floats). */
export function firstDiff(a: ArrayBufferView & ArrayLike<number>, b: ArrayBufferView & ArrayLike<number>): number {
  const ab = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const bb = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  if (ab.length !== bb.length) return 0;
  const size = a.byteLength / Math.max(1, a.length);
  for (let i = 0; i < ab.length; i++) if (ab[i] !== bb[i]) return Math.floor(i / size);
  return -1;
}
