/**
 * Face masks (`face_mask`): `box` (the feathered square of insightface's paste-back), `oval` (the
 * face outline of the 468-point mesh) or `regions` (a union of skin, eyes, eyebrows, nose, mouth,
 * lips), rasterised in any target space given the image → space affine, then eroded and feathered
 * by `mask_blur` so the soft edge stays inside the region (nothing outside the face is touched).
 */
import type { Affine, Kernels } from '../../native/types.js';
import { affineScale, applyAffine } from './affine.js';
import { FACE_OVAL, regionShape, type FaceRegion } from './mesh/regions.js';

export type FaceMaskSpec = { kind: 'box' } | { kind: 'oval' } | { kind: 'regions'; regions: FaceRegion[] };

type P = [number, number];

/** Andrew's monotone chain; points in any order. */
export function convexHull(points: P[]): P[] {
  const pts = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (pts.length < 3) return pts;
  const cross = (o: P, a: P, b: P) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: P[] = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: P[] = [];
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], p) <= 0) upper.pop();
    upper.push(p);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/** Sets (value 1) or clears (value 0) the pixels whose centres lie inside a convex polygon. */
export function fillConvex(mask: Float32Array, width: number, height: number, poly: P[], value: number): void {
  if (poly.length < 3) return;
  const ys = poly.map((p) => p[1]);
  const y0 = Math.max(0, Math.ceil(Math.min(...ys) - 0.5));
  const y1 = Math.min(height - 1, Math.floor(Math.max(...ys) - 0.5));
  for (let y = y0; y <= y1; y++) {
    const cy = y + 0.5;
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < poly.length; i++) {
      const a = poly[i], b = poly[(i + 1) % poly.length];
      if ((a[1] <= cy && b[1] > cy) || (b[1] <= cy && a[1] > cy)) {
        const x = a[0] + ((cy - a[1]) / (b[1] - a[1])) * (b[0] - a[0]);
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      }
    }
    const x0 = Math.max(0, Math.ceil(lo - 0.5));
    const x1 = Math.min(width - 1, Math.floor(hi - 0.5));
    if (x1 >= x0) mask.fill(value, y * width + x0, y * width + x1 + 1);
  }
}

function hullOf(points: Float32Array, indices: readonly number[], toSpace: Affine): P[] {
  return convexHull(indices.map((i) => applyAffine(toSpace, [points[3 * i], points[3 * i + 1]])));
}

/** The hard (0/1) mask of `spec` (oval or regions) over a width×height space. */
export function rasterRegions(points: Float32Array, spec: Exclude<FaceMaskSpec, { kind: 'box' }>, toSpace: Affine,
  width: number, height: number): Float32Array {
  const mask = new Float32Array(width * height);
  if (spec.kind === 'oval') {
    fillConvex(mask, width, height, hullOf(points, FACE_OVAL, toSpace), 1);
    return mask;
  }
  // Each region is drawn on its own layer so one region's cut never removes another's area.
  const layer = new Float32Array(width * height);
  for (const region of spec.regions) {
    const shape = regionShape(region);
    layer.fill(0);
    for (const add of shape.add) fillConvex(layer, width, height, hullOf(points, add, toSpace), 1);
    for (const cut of shape.cut) fillConvex(layer, width, height, hullOf(points, cut, toSpace), 0);
    for (let i = 0; i < mask.length; i++) if (layer[i] > mask[i]) mask[i] = layer[i];
  }
  return mask;
}

/**
 * Feather a hard mask by `mask_blur`: σ = mask_blur × 5% of the face size (in this space's pixels).
 * The oval is eroded by ⌈2σ⌉ first, so its soft edge sits on the face outline from inside (at the
 * outline the feather is down to ~2%, and it is 0 from σ outside). Regions are too thin for that
 * (an eye is ~8% of the face high, the lip ring less), so they are blurred with σ/2 and no
 * erosion: their edge fades across the region border. mask_blur 0 → the hard mask.
 */
export function featherRegion(mask: Float32Array, width: number, height: number, faceSize: number, blur: number,
  kernels: Kernels, erode = true): Float32Array {
  const sigma = blur * 0.05 * faceSize * (erode ? 1 : 0.5);
  if (sigma < 0.3) return mask;
  const eroded = erode ? kernels.erode(mask, width, height, Math.ceil(2 * sigma)) : mask;
  return kernels.gaussianBlur(eroded, width, height, sigma);
}

/** Feathers the hard mask of `spec` as featherRegion says for its kind. */
export function featherSpec(mask: Float32Array, spec: Exclude<FaceMaskSpec, { kind: 'box' }>, width: number, height: number,
  faceSize: number, blur: number, kernels: Kernels): Float32Array {
  const thin = spec.kind === 'regions' && !spec.regions.includes('skin');
  return featherRegion(mask, width, height, faceSize, blur, kernels, !thin);
}

/** Face size in image pixels: the mean side of the face-oval hull's bounding box. */
export function meshFaceSize(points: Float32Array): number {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const i of FACE_OVAL) {
    x0 = Math.min(x0, points[3 * i]); x1 = Math.max(x1, points[3 * i]);
    y0 = Math.min(y0, points[3 * i + 1]); y1 = Math.max(y1, points[3 * i + 1]);
  }
  return ((x1 - x0) + (y1 - y0)) / 2;
}

/**
 * The oval/regions mask in the inswapper's crop space (`m`: image → crop), feathered for the
 * face's size there; the crop's outer pixel ring is cleared so the paste-back never writes the
 * crop's edge.
 */
export function cropRegionMask(points: Float32Array, spec: Exclude<FaceMaskSpec, { kind: 'box' }>, m: Affine,
  cropSize: number, blur: number, kernels: Kernels): Float32Array {
  const hard = rasterRegions(points, spec, m, cropSize, cropSize);
  const last = cropSize - 1;
  for (let i = 0; i < cropSize; i++) {
    hard[i] = 0; hard[last * cropSize + i] = 0; hard[i * cropSize] = 0; hard[i * cropSize + last] = 0;
  }
  return featherSpec(hard, spec, cropSize, cropSize, meshFaceSize(points) * affineScale(m), blur, kernels);
}
