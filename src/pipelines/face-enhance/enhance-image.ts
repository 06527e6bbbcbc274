/**
 * face_enhance on a whole image (image_upscale): find the faces with face_swap's detector (SCRFD
 * when installed, else the bundled YuNet, so this works offline) and enhance each, in place.
 * Detection runs on the image being enhanced (the upscaled one), so landmarks are in its pixels.
 */
import { join } from 'node:path';
import type { DecodedImage } from '../../imaging/decoded-image.js';
import { TaskError } from '../../tasks/task-errors.js';
import { checkpoint } from '../checkpoint.js';
import { detectFaces, detectorKindFor } from '../face-swap/detect.js';
import type { PipelineContext } from '../types.js';
import type { FaceEnhancer } from './face-enhancer.js';

export interface ImageEnhanceReport {
  faces: number;
  detector: string;
  detectMs: number;
}

export async function enhanceImageFaces(image: DecodedImage, enhancer: FaceEnhancer, ctx: PipelineContext): Promise<ImageEnhanceReport> {
  const model = ctx.models.resolveRole('face_swap', 'detector');
  if (!model) throw new TaskError('face_enhance needs a face detector (the bundled YuNet); restore models/yunet/ from the project checkout.', 'model_unavailable');
  const t = performance.now();
  const session = await ctx.sessions.get(join(model.dir, 'model.onnx'));
  const faces = await detectFaces(image, { kind: detectorKindFor(model.id), session }, ctx.kernels);
  const detectMs = performance.now() - t;
  for (const face of faces) {
    await checkpoint(ctx.signal);
    await enhancer.enhance(image, face);
  }
  return { faces: faces.length, detector: model.id, detectMs };
}
