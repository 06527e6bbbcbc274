/**
 * The pure-TypeScript kernels (backend 'typescript'): used when the Rust addon is not
 * built or BACKSERV_NATIVE=0, and as the reference the addon is tested against.
 * Each kernel matches native/ bit for bit; see the fallback-*.ts files.
 */
import { wrapKernels } from './checked.js';
import { hwcToNchw, nchwToHwc, placeTile } from './fallback-convert.js';
import { transferColour } from './fallback-colour.js';
import { f16ToF32, f32ToF16 } from './fallback-f16.js';
import { guidedFilter } from './fallback-guided.js';
import { erode, gaussianBlur } from './fallback-mask.js';
import { blendPatch } from './fallback-mesh-blend.js';
import { warpTriangles } from './fallback-mesh-warp.js';
import { pasteBack, warpAffineToNchw } from './fallback-warp.js';
import type { RawKernels } from './raw.js';
import type { Kernels } from './types.js';

export const fallbackRaw: RawKernels = Object.freeze({
  hwcToNchw, nchwToHwc, f32ToF16, f16ToF32, warpAffineToNchw, pasteBack, placeTile, gaussianBlur, erode,
  guidedFilter, warpTriangles, transferColour, blendPatch,
});

export function createFallbackKernels(): Kernels {
  return wrapKernels(fallbackRaw, 'typescript');
}
