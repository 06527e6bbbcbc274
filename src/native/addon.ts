/**
 * Loads the Rust addon (native/backserv_native.node, built by scripts/build-native.mjs)
 * and wraps it as `Kernels` (backend 'native'). Every argument is checked in
 * TypeScript before it reaches Rust (which checks types and lengths again), so misuse
 * throws a TypeError and never crashes the process.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { wrapKernels } from './checked.js';
import { RAW_KERNEL_NAMES, type RawKernels } from './raw.js';
import type { Kernels } from './types.js';

/**
 * This file is src/native/addon.ts under tsx/vitest and dist/native/addon.js after
 * tsc: both are two levels below the package root.
 */
export const ADDON_PATH = fileURLToPath(new URL('../../native/backserv_native.node', import.meta.url));

/** Load the addon; throws (with the reason) when it is missing or incomplete. */
export function loadNativeKernels(path: string = ADDON_PATH): Kernels {
  const require = createRequire(import.meta.url);
  const mod: unknown = require(path);
  if (typeof mod !== 'object' || mod === null) throw new Error(`${path} did not export an object`);
  const exported = mod as Record<string, unknown>;
  const missing = RAW_KERNEL_NAMES.filter((name) => typeof exported[name] !== 'function');
  if (missing.length > 0) {
    throw new Error(`${path} lacks ${missing.join(', ')}: rebuild it with \`npm run build:native\``);
  }
  return wrapKernels(mod as RawKernels, 'native');
}
