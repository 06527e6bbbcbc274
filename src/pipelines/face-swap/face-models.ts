/** The three models face_swap needs (swapper, embedder, detector), found through the registry's roles. */
import { join } from 'node:path';
import type { ModelRegistry } from '../../models/types.js';
import { TaskError } from '../../tasks/task-errors.js';
import { detectorKindFor, type DetectorKind } from './detect.js';

export interface FaceModels {
  swapper: { id: string; path: string };
  embedder: { id: string; path: string };
  detector: { id: string; path: string; kind: DetectorKind };
}

export function resolveFaceModels(models: ModelRegistry): FaceModels {
  const all = models.resolveAll('face_swap');
  const { swapper, embedder, detector } = all ?? {};
  if (!swapper || !embedder || !detector) {
    throw new TaskError('face_swap needs the inswapper, ArcFace and a face detector model; ask the operator to install them.', 'model_unavailable');
  }
  const file = (dir: string) => join(dir, 'model.onnx');
  return {
    swapper: { id: swapper.id, path: file(swapper.dir) },
    embedder: { id: embedder.id, path: file(embedder.dir) },
    detector: { id: detector.id, path: file(detector.dir), kind: detectorKindFor(detector.id) },
  };
}
