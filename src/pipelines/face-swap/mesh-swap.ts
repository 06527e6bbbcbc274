/**
 * The offline engine for one face: warp the source face onto the target's mesh (piecewise
 * affine over the canonical triangles), recolour it to the target's skin and light (LAB
 * transfer within the mask), and blend it into the frame through the feathered region mask.
 * The mask is eroded before it is feathered, so the blend never reaches past the face outline:
 * hair, hands or glasses frames outside the chosen regions keep their own pixels.
 */
import type { DecodedImage } from '../../imaging/decoded-image.js';
import type { Kernels } from '../../native/types.js';
import { transferColour } from './color-transfer.js';
import { featherSpec, meshFaceSize, rasterRegions, type FaceMaskSpec } from './mask.js';
import { warpMesh, type Patch } from './mesh-warp.js';

export interface MeshSwapOptions {
  mask: Exclude<FaceMaskSpec, { kind: 'box' }>;
  maskBlur: number;
}

/** The bounding box of the target mesh, one pixel of margin, clipped to the frame. */
function meshPatch(points: Float32Array, width: number, height: number): Patch | null {
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
  const hard = rasterRegions(targetPts, opts.mask, [1, 0, -x0, 0, 1, -y0], width, height);
  for (let i = 0; i < hard.length; i++) if (warped.covered[i] === 0) hard[i] = 0;
  const mask = featherSpec(hard, opts.mask, width, height, meshFaceSize(targetPts), opts.maskBlur, kernels);

  const ch = frame.channels, fw = frame.width, data = frame.data;
  const target = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = ((y0 + y) * fw + x0 + x) * ch, p = (y * width + x) * 3;
      target[p] = data[o]; target[p + 1] = data[o + 1]; target[p + 2] = data[o + 2];
    }
  }
  transferColour(warped.rgb, target, mask, warped.covered);
  let blended = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const a = mask[i];
      if (a <= 0 || warped.covered[i] === 0) continue;
      const o = ((y0 + y) * fw + x0 + x) * ch, p = 3 * i;
      for (let c = 0; c < 3; c++) {
        const v = a * warped.rgb[p + c] + (1 - a) * target[p + c];
        data[o + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
      }
      blended++;
    }
  }
  return blended;
}
