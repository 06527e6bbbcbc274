/**
 * The offline engine for one face: warp the source face onto the target's mesh (piecewise
 * affine over the canonical triangles), recolour it to the target's skin and light (LAB
 * transfer within the mask), and blend it into the frame through the feathered region mask.
 * The mask is eroded before it is feathered, so the blend never reaches past the face outline:
 * hair, hands or glasses frames outside the chosen regions keep their own pixels. The blend fades
 * out over the top of the forehead (forehead-fade.ts: no source hairline carried over), and the
 * regions of keep_target_regions (keep-target.ts) are left to the target.
 */
import type { DecodedImage } from '../../imaging/decoded-image.js';
import type { Affine, Kernels } from '../../native/types.js';
import { fadeForehead } from './forehead-fade.js';
import { applyKeep, keepTargetMask } from './keep-target.js';
import { featherSpec, meshFaceSize, rasterRegions, type FaceMaskSpec } from './mask.js';
import { warpMesh, type Patch } from './mesh-warp.js';
import type { KeepRegion } from './params.js';

export interface MeshSwapOptions {
  mask: Exclude<FaceMaskSpec, { kind: 'box' }>;
  maskBlur: number;
  /** The target's own regions to keep for this face (already decided when the setting is "auto"). */
  keep: readonly KeepRegion[];
}

export interface MeshMasks {
  /** Where the colour transfer measures both faces: the feathered region mask minus the kept regions. */
  colour: Float32Array;
  /** The blend weight (0–1): `colour` faded out over the upper forehead. */
  blend: Float32Array;
}

/**
 * The masks over the patch: the region mask (clipped to what the warp covered), feathered, minus
 * the kept regions; the blend's also faded out over the upper forehead. The colour statistics
 * keep the whole forehead, so the fade changes where the face is pasted, not its colours.
 */
export function meshMasks(targetPts: Float32Array, patch: Patch, covered: Uint8Array | null, opts: MeshSwapOptions,
  kernels: Kernels): MeshMasks {
  const { x0, y0, width, height } = patch;
  const toPatch: Affine = [1, 0, -x0, 0, 1, -y0];
  const hard = rasterRegions(targetPts, opts.mask, toPatch, width, height);
  if (covered) for (let i = 0; i < hard.length; i++) if (covered[i] === 0) hard[i] = 0;
  const size = meshFaceSize(targetPts);
  const colour = featherSpec(hard, opts.mask, width, height, size, opts.maskBlur, kernels);
  if (opts.keep.length > 0) applyKeep(colour, keepTargetMask(targetPts, opts.keep, toPatch, width, height, size, opts.maskBlur, kernels));
  const blend = Float32Array.from(colour);
  fadeForehead(blend, targetPts, x0, y0, width, height);
  return { colour, blend };
}

/** The bounding box of the target mesh, one pixel of margin, clipped to the frame. */
export function meshPatch(points: Float32Array, width: number, height: number): Patch | null {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < points.length; i += 3) {
    x0 = Math.min(x0, points[i]); x1 = Math.max(x1, points[i]);
    y0 = Math.min(y0, points[i + 1]); y1 = Math.max(y1, points[i + 1]);
  }
  const left = Math.max(0, Math.floor(x0) - 1), top = Math.max(0, Math.floor(y0) - 1);
  const right = Math.min(width, Math.ceil(x1) + 1), bottom = Math.min(height, Math.ceil(y1) + 1);
  if (right - left < 2 || bottom - top < 2) return null;
  return { x0: left, y0: top, width: right - left, height: bottom - top };
}

/** Swaps one face in `frame` (u8 HWC, 3 or 4 channels; alpha kept) in place. Returns the pixels blended. */
export function meshSwapFace(frame: DecodedImage, source: DecodedImage, sourcePts: Float32Array, targetPts: Float32Array,
  opts: MeshSwapOptions, kernels: Kernels): number {
  const patch = meshPatch(targetPts, frame.width, frame.height);
  if (!patch) return 0;
  const { x0, y0, width, height } = patch;
  const warped = warpMesh(source, sourcePts, targetPts, patch, kernels);
  const { colour, blend: mask } = meshMasks(targetPts, patch, warped.covered, opts, kernels);

  // Both kernels read the target straight from the frame's patch: no f32 copy of it is made.
  kernels.transferColour(frame.data, frame.width, frame.height, frame.channels, x0, y0, width, height, warped.rgb, colour, warped.covered);
  kernels.blendPatch(frame.data, frame.width, frame.height, frame.channels, x0, y0, width, height, warped.rgb, mask, warped.covered);
  let blended = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] > 0 && warped.covered[i] !== 0) blended++;
  return blended;
}
