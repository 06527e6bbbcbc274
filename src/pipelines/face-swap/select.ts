/** Which faces take part: by index (faces are ordered left to right), by rule, or nearest a reference. */
import { TaskError } from '../../tasks/task-errors.js';
import type { TargetFaces } from './params.js';
import type { Face } from './types.js';

const area = (f: Face) => (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]);

function checkIndex(faces: readonly Face[], index: number, field: string, image: string): Face {
  if (index >= faces.length) {
    const n = faces.length;
    throw new TaskError(`${field} ${index} is out of range: ${image} has ${n} face${n === 1 ? '' : 's'} (indices 0–${n - 1}, left to right)`,
      'invalid_params');
  }
  return faces[index];
}

export const largestFace = (faces: readonly Face[]): Face => faces.reduce((best, f) => (area(f) > area(best) ? f : best));

/** The source face: `index` if given, else the largest. */
export function pickSourceFace(faces: readonly Face[], index: number | 'largest'): Face {
  if (faces.length === 0) throw new TaskError('no face found in source_image');
  if (index !== 'largest') return checkIndex(faces, index, 'source_face_index', 'source_image');
  return largestFace(faces);
}

/** The target faces, in left-to-right order: all, the largest, or the listed indices. */
export function pickTargetFaces(faces: readonly Face[], which: TargetFaces | number): Face[] {
  if (faces.length === 0) throw new TaskError('no face found in target_image');
  if (which === 'all') return [...faces];
  if (which === 'largest') return [largestFace(faces)];
  const list = typeof which === 'number' ? [which] : which;
  const field = typeof which === 'number' ? 'target_face_index' : 'target_faces';
  const picked = new Set(list.map((i) => checkIndex(faces, i, field, 'target_image')));
  return faces.filter((f) => picked.has(f));
}

/** The candidate whose descriptor is nearest the reference's (smallest distance). */
export function nearestToReference<T>(candidates: readonly T[], distance: (c: T) => number): T {
  let best = candidates[0];
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(c);
    if (d < bestD) { bestD = d; best = c; }
  }
  return best;
}
