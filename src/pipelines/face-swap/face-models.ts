/**
 * The models face_swap uses, found through the registry's roles: a face detector and FaceMesh
 * (landmarks) always; inswapper + ArcFace (swapper, embedder) when installed, as a pair.
 */
import { join } from 'node:path';
import type { ModelRegistry } from '../../models/types.js';
import { TaskError } from '../../tasks/task-errors.js';
import { detectorKindFor, type DetectorKind } from './detect.js';

export interface ModelRef {
  id: string;
  path: string;
}

export interface FaceModels {
  detector: ModelRef & { kind: DetectorKind };
  landmarks: ModelRef;
  /** Both or neither: inswapper alone cannot run without the ArcFace embedding. */
  inswapper: { swapper: ModelRef; embedder: ModelRef } | null;
}

export function resolveFaceModels(models: ModelRegistry): FaceModels {
  const all = models.resolveAll('face_swap');
  const { swapper, embedder, detector, landmarks } = all ?? {};
  if (!detector || !landmarks) {
    throw new TaskError('face_swap needs a face detector and the FaceMesh landmark model; ask the operator to run `npx backserv models convert facemesh`.', 'model_unavailable');
  }
  const file = (dir: string) => join(dir, 'model.onnx');
  return {
    detector: { id: detector.id, path: file(detector.dir), kind: detectorKindFor(detector.id) },
    landmarks: { id: landmarks.id, path: file(landmarks.dir) },
    inswapper: swapper && embedder
      ? { swapper: { id: swapper.id, path: file(swapper.dir) }, embedder: { id: embedder.id, path: file(embedder.dir) } }
      : null,
  };
}
