/**
 * The three models face_swap needs (swapper, embedder, detector), found through the registry's
 * roles. `PipelineContext.models` is typed as the narrow `ModelRegistry`, which only resolves a
 * task type's primary role; the worker passes the full registry, whose `resolveAll` gives every role.
 */
import { join } from 'node:path';
import type { Registry } from '../../models/registry.js';
import type { ModelRegistry } from '../../models/types.js';
import { TaskError } from '../types.js';
import { detectorKindFor, type DetectorKind } from './detect.js';

export interface FaceModels {
  swapper: { id: string; path: string };
  embedder: { id: string; path: string };
  detector: { id: string; path: string; kind: DetectorKind };
}

type RolesRegistry = ModelRegistry & Pick<Registry, 'resolveAll'>;

function hasRoles(models: ModelRegistry): models is RolesRegistry {
  return typeof (models as Partial<RolesRegistry>).resolveAll === 'function';
}

export function resolveFaceModels(models: ModelRegistry): FaceModels {
  if (!hasRoles(models)) throw new TaskError('This worker cannot look up face_swap\'s detector and embedder models.', 'model_unavailable');
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
