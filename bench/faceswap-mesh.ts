/**
 * The mesh engine's share of `faceswap`: per face at 1080p (the group photo scaled to 1920×1080,
 * three faces of ~170 px), FaceMesh landmarks (eye-levelled 192² crop + model run + mapping back)
 * and the warp + colour transfer + feathered blend, and their sum, the engine's cost per face
 * (the source face's landmarks are made once per task and left out). Goal: ≤ 40 ms per face.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DecodedImage } from '../src/imaging/decoded-image.js';
import type { Kernels } from '../src/native/types.js';
import { faceMesh } from '../src/pipelines/face-swap/landmarks.js';
import { meshSwapFace } from '../src/pipelines/face-swap/mesh-swap.js';
import type { Face } from '../src/pipelines/face-swap/types.js';
import type { SessionCache } from '../src/runtime/index.js';
import { interleave, summarize, timeMs } from './stats.js';
import type { BenchRow } from './types.js';

export async function meshEngineRows(part: string, sessions: SessionCache, target: DecodedImage, faces: Face[],
  source: DecodedImage, sourceFace: Face, kernels: Kernels, reps: number): Promise<BenchRow[]> {
  const path = join(process.env.BACKSERV_MODELS_DIR ?? join(import.meta.dirname, '..', 'models'), 'facemesh', 'model.onnx');
  if (!existsSync(path)) return [];
  const mesh = await sessions.get(path);
  const src = (await faceMesh(mesh, source, sourceFace, kernels)).points;
  const tgt = await Promise.all(faces.map(async (f) => (await faceMesh(mesh, target, f, kernels)).points));
  const frame = { ...target, data: Uint8Array.from(target.data) };
  let k = 0;
  const t = await interleave({
    landmarks: () => timeMs(() => faceMesh(mesh, target, faces[k % faces.length], kernels)),
    blend: () => timeMs(async () => {
      meshSwapFace(frame, source, src, tgt[k % faces.length], { mask: { kind: 'oval' }, maskBlur: 0.3 }, kernels);
      k++;
    }),
  }, reps * faces.length);
  const total = t.landmarks.map((v, i) => v + t.blend[i]);
  return [
    { part, name: `mesh: landmarks per face 1080p (${kernels.backend})`, unit: 'ms/face', ...summarize(t.landmarks) },
    { part, name: `mesh: warp+colour+blend 1080p (${kernels.backend})`, unit: 'ms/face', ...summarize(t.blend) },
    { part, name: `mesh engine per face, landmarks incl. (${kernels.backend})`, unit: 'ms/face', ...summarize(total) },
  ];
}
