/**
 * How open the eyes and the mouth are, from the 468 FaceMesh points, for keep_target_regions
 * "auto": the eye aspect ratio (lid gap over eye width, both eyes averaged; Soukupová and Čech's
 * EAR on the mesh's lid points) and the mouth aspect ratio (inner-lip gap over mouth width). Both
 * are ratios of in-plane distances, so they do not depend on the face's size or roll.
 */
import { OPENNESS_THRESHOLD } from './openness-threshold.js';
import type { KeepRegion } from './params.js';

type Pt = (i: number) => [number, number];

const dist = (p: Pt, a: number, b: number) => Math.hypot(p(a)[0] - p(b)[0], p(a)[1] - p(b)[1]);

/** Per eye: the two corners, then pairs of upper/lower lid points. Image-left eye first. */
const EYES = [
  { corners: [33, 133], lids: [[160, 144], [159, 145], [158, 153]] },
  { corners: [362, 263], lids: [[385, 380], [386, 374], [387, 373]] },
] as const;
/** Inner-lip corners, then pairs of upper/lower inner-lip points. */
const MOUTH = { corners: [78, 308], lids: [[82, 87], [13, 14], [312, 317]] } as const;

function ratio(p: Pt, part: { corners: readonly [number, number]; lids: readonly (readonly [number, number])[] }): number {
  const width = dist(p, part.corners[0], part.corners[1]);
  if (!(width > 0)) return 0;
  const gap = part.lids.reduce((s, [a, b]) => s + dist(p, a, b), 0) / part.lids.length;
  return gap / width;
}

export interface Openness {
  /** Eye aspect ratio, both eyes averaged: ~0.2–0.35 open, under ~0.1 closed. */
  eyes: number;
  /** Mouth aspect ratio: ~0–0.05 closed, over ~0.3 open. */
  mouth: number;
}

export function openness(points: Float32Array): Openness {
  const p: Pt = (i) => [points[3 * i], points[3 * i + 1]];
  return { eyes: (ratio(p, EYES[0]) + ratio(p, EYES[1])) / 2, mouth: ratio(p, MOUTH) };
}

/** The regions to keep from the target for this face: the list as given, or "auto" decided from the two meshes. */
export function keepRegionsFor(setting: KeepRegion[] | 'auto', sourcePts: Float32Array, targetPts: Float32Array): KeepRegion[] {
  if (setting !== 'auto') return setting;
  const s = openness(sourcePts), t = openness(targetPts);
  const keep: KeepRegion[] = [];
  if (Math.abs(s.eyes - t.eyes) > OPENNESS_THRESHOLD.eyes) keep.push('eyes');
  if (Math.abs(s.mouth - t.mouth) > OPENNESS_THRESHOLD.mouth) keep.push('mouth');
  return keep;
}
