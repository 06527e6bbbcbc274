/**
 * Entry point of the kernels: `loadKernels()` gives the Rust addon when it is built
 * and BACKSERV_NATIVE is not '0', and the TypeScript fallback otherwise. Callers see
 * one API and can tell which ran only through `kernels.backend`.
 */
import { loadNativeKernels } from './addon.js';
import { createFallbackKernels } from './fallback.js';
import type { Kernels } from './types.js';

export type { Affine, Kernels, Normalization } from './types.js';
export { NORM_0_1, NORM_INSIGHTFACE, NORM_NEG1_1 } from './types.js';

/** The TypeScript kernels, always available. */
export const fallbackKernels: Kernels = createFallbackKernels();

let loaded: Kernels | undefined;
let loadError: Error | undefined;

/**
 * The kernels to use, loaded once per thread. The choice is made on the first call;
 * BACKSERV_NATIVE=0 forces the fallback.
 */
export function loadKernels(): Kernels {
  if (loaded) return loaded;
  if (process.env.BACKSERV_NATIVE === '0') {
    loaded = fallbackKernels;
    return loaded;
  }
  try {
    loaded = loadNativeKernels();
  } catch (err) {
    loadError = err instanceof Error ? err : new Error(String(err));
    loaded = fallbackKernels;
  }
  return loaded;
}

/** Why the addon did not load, if `loadKernels()` fell back (for logs and /ready). */
export function nativeLoadError(): Error | undefined {
  return loadError;
}
