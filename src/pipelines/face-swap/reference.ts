/**
 * `reference_image`: of the candidate target faces, keep the one whose identity is nearest the
 * reference photo's largest face. With ArcFace installed the distance is between embeddings
 * (1 − cosine); otherwise between FaceMesh geometry descriptors (see descriptor.ts).
 */
import type { DecodedImage } from '../../imaging/decoded-image.js';
import type { Kernels } from '../../native/types.js';
import type { Session } from '../../runtime/index.js';
import { TaskError } from '../../tasks/task-errors.js';
import { cosineDistance, euclidean, meshDescriptor } from './descriptor.js';
import { detectFaces, type Detector } from './detect.js';
import { faceEmbedding } from './embed.js';
import { faceMesh } from './landmarks.js';
import { largestFace, nearestToReference } from './select.js';
import type { Face } from './types.js';

export interface ReferenceTools {
  detector: Detector;
  landmarks: Session;
  /** ArcFace when installed. */
  embedder: Session | null;
  kernels: Kernels;
}

export async function closestToReference(reference: DecodedImage, target: DecodedImage, candidates: Face[],
  tools: ReferenceTools): Promise<{ face: Face; descriptor: 'arcface' | 'mesh' }> {
  const refFaces = await detectFaces(reference, tools.detector, tools.kernels);
  if (refFaces.length === 0) throw new TaskError('no face found in reference_image: use a photo where the face of the person to replace is visible');
  const refFace = largestFace(refFaces);
  if (tools.embedder) {
    const embedder = tools.embedder;
    const ref = await faceEmbedding(embedder, reference, refFace, tools.kernels);
    const dists = new Map<Face, number>();
    for (const f of candidates) dists.set(f, cosineDistance(ref, await faceEmbedding(embedder, target, f, tools.kernels)));
    return { face: nearestToReference(candidates, (f) => dists.get(f) as number), descriptor: 'arcface' };
  }
  const ref = meshDescriptor((await faceMesh(tools.landmarks, reference, refFace, tools.kernels)).points);
  const dists = new Map<Face, number>();
  for (const f of candidates) dists.set(f, euclidean(ref, meshDescriptor((await faceMesh(tools.landmarks, target, f, tools.kernels)).points)));
  return { face: nearestToReference(candidates, (f) => dists.get(f) as number), descriptor: 'mesh' };
}
