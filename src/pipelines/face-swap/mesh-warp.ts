/**
 * The mesh engine's warp: the canonical triangles as a kernel-ready index array (made once), and
 * a patch of the target frame filled by `kernels.warpTriangles` (native, or the TS fallback).
 */
import type { DecodedImage } from '../../imaging/decoded-image.js';
import type { Kernels } from '../../native/types.js';
import { canonicalMesh } from './mesh/canonical-mesh.js';

export interface Patch {
  x0: number;
  y0: number;
  width: number;
  height: number;
}

export interface WarpedPatch extends Patch {
  /** RGB f32 (0–255), width×height×3. */
  rgb: Float32Array;
  /** 1 where a triangle covered the pixel, else 0. */
  covered: Uint8Array;
}

let triangles: Uint16Array | null = null;

export function canonicalTriangles(): Uint16Array {
  triangles ??= Uint16Array.from(canonicalMesh().triangles.flat());
  return triangles;
}

export function warpMesh(src: DecodedImage, srcPts: Float32Array, dstPts: Float32Array, patch: Patch, kernels: Kernels): WarpedPatch {
  const { x0, y0, width, height } = patch;
  const rgb = new Float32Array(width * height * 3);
  const covered = new Uint8Array(width * height);
  kernels.warpTriangles(src.data, src.width, src.height, src.channels, srcPts, dstPts, canonicalTriangles(), x0, y0, width, height,
    rgb, covered);
  return { x0, y0, width, height, rgb, covered };
}
