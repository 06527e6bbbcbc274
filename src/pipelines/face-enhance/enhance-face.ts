/**
 * Enhancing one face in place: align it to the 512 FFHQ crop, run the enhancer, and paste the
 * result back through the inverse affine with the feathered square mask of face_swap's
 * paste-back (facexlib derives its erosion and blur from the face size the same way). `blend`
 * scales that mask, so the mix is with the frame's own pixels, not a resampled copy of them:
 * blend 0 writes nothing at all.
 */
import type { DecodedImage } from '../../imaging/decoded-image.js';
import { NORM_NEG1_1, type Kernels } from '../../native/types.js';
import type { Session } from '../../runtime/index.js';
import { invertAffine } from '../face-swap/affine.js';
import { featherMask } from '../face-swap/paste-back.js';
import type { Face } from '../face-swap/types.js';
import { runEnhancer } from './run-enhancer.js';
import { ENHANCE_SIZE, ffhqAlignment } from './template.js';

export interface EnhanceOptions {
  blend: number;
  fidelity: number;
}

/** `frame`: u8 HWC, 3 or 4 channels (alpha untouched). */
export async function enhanceFace(frame: DecodedImage, face: Face, session: Session, opts: EnhanceOptions, kernels: Kernels): Promise<void> {
  if (!(opts.blend > 0)) return;
  const m = ffhqAlignment(face.landmarks);
  const crop = kernels.warpAffineToNchw(frame.data, frame.width, frame.height, frame.channels, invertAffine(m), ENHANCE_SIZE, ENHANCE_SIZE, NORM_NEG1_1);
  const restored = await runEnhancer(session, crop, opts.fidelity);
  const mask = featherMask(m, ENHANCE_SIZE, kernels);
  if (opts.blend < 1) for (let i = 0; i < mask.length; i++) mask[i] *= opts.blend;
  kernels.pasteBack(frame.data, frame.width, frame.height, frame.channels, restored, ENHANCE_SIZE, ENHANCE_SIZE, mask, m);
}
