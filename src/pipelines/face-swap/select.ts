/** Which faces take part: by index (faces are ordered left to right) or by default rule. */
import { TaskError } from '../../tasks/task-errors.js';
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

/** The source face: `index` if given, else the largest. */
export function pickSourceFace(faces: readonly Face[], index: number | 'largest'): Face {
  if (faces.length === 0) throw new TaskError('no face found in source_image');
  if (index !== 'largest') return checkIndex(faces, index, 'source_face_index', 'source_image');
  return faces.reduce((best, f) => (area(f) > area(best) ? f : best));
}

/** The target faces: only `index` if given, else all of them. */
export function pickTargetFaces(faces: readonly Face[], index: number | 'all'): Face[] {
  if (faces.length === 0) throw new TaskError('no face found in target_image');
  if (index !== 'all') return [checkIndex(faces, index, 'target_face_index', 'target_image')];
  return [...faces];
}
