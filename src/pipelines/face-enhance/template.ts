/**
 * The FFHQ 5-point template at 512×512 (facexlib's FaceRestoreHelper, which GFPGAN and CodeFormer
 * were trained with): left eye, right eye, nose tip, left and right mouth corner, as seen in the
 * picture — the order the detectors return. The face sits lower and larger than in the ArcFace crop.
 */
import type { Affine } from '../../native/types.js';
import { similarityTransform } from '../face-swap/affine.js';
import type { Face, Point } from '../face-swap/types.js';

export const ENHANCE_SIZE = 512;

export const FFHQ_512: readonly Point[] = [
  [192.98138, 239.94708],
  [318.90277, 240.1936],
  [256.63416, 314.01935],
  [201.26117, 371.41043],
  [313.08905, 371.15118],
];

/** Image → 512 crop: the least-squares similarity onto the template (facexlib uses LMEDS; on 5 good points they agree). */
export function ffhqAlignment(landmarks: Face['landmarks']): Affine {
  return similarityTransform(landmarks, FFHQ_512);
}
