/**
 * The mesh engine's share of `faceswap`: per face at 1080p (the group photo scaled to 1920×1080,
 * three faces of ~170 px), FaceMesh landmarks (eye-levelled 192² crop + model run + mapping back)
 * and the warp + colour transfer + feathered blend, and their sum, the engine's cost per face
 * (the source face's landmarks are made once per task and left out), and the warp and the colour
 * transfer alone with the native kernels against the TypeScript fallback. Goal: ≤ 40 ms per face.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DecodedImage } from '../src/imaging/decoded-image.js';
import type { Kernels } from '../src/native/types.js';
import { faceMesh } from '../src/pipelines/face-swap/landmarks.js';
import { meshSwapFace } from '../src/pipelines/face-swap/mesh-swap.js';
import { warpMesh } from '../src/pipelines/face-swap/mesh-warp.js';
import type { Face } from '../src/pipelines/face-swap/types.js';
import type { SessionCache } from '../src/runtime/index.js';
import { interleave, summarize, timeMs } from './stats.js';
import type { BenchRow } from './types.js';

export async function meshEngineRows(part: string, sessions: SessionCache, target: DecodedImage, faces: Face[],
  source: DecodedImage, sourceFace: Face, kernels: Kernels, backends: Kernels[], reps: number): Promise<BenchRow[]> {
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
      meshSwapFace(frame, source, src, tgt[k % faces.length], { mask: { kind: 'oval' }, maskBlur: 0.3, keep: [] }, kernels);
      k++;
    }),
  }, reps * faces.length);
  const total = t.landmarks.map((v, i) => v + t.blend[i]);
  // The warp alone, native kernel against the TypeScript fallback.
  const f = tgt[0];
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < f.length; i += 3) { x0 = Math.min(x0, f[i]); x1 = Math.max(x1, f[i]); y0 = Math.min(y0, f[i + 1]); y1 = Math.max(y1, f[i + 1]); }
  const patch = { x0: Math.floor(x0), y0: Math.floor(y0), width: Math.ceil(x1 - x0) + 1, height: Math.ceil(y1 - y0) + 1 };
  const warps = await interleave(Object.fromEntries(backends.map((b) => [b.backend, () => timeMs(() => warpMesh(source, src, f, patch, b))])), reps * 3);
  const warpRows: BenchRow[] = backends.map((b) => ({ part, name: `mesh: warp only (${b.backend})`, unit: 'ms/face', ...summarize(warps[b.backend]) }));
  if (warpRows.length === 2) Object.assign(warpRows[0], { baseline: warpRows[1].name, ratio: warpRows[0].median / warpRows[1].median });
  // The LAB colour transfer alone, native against the fallback, over every pixel the warp covered.
  const warped = warpMesh(source, src, f, patch, kernels);
  const mask = Float32Array.from(warped.covered);
  const colour = await interleave(Object.fromEntries(backends.map((b) => [b.backend, () => timeMs(() => b.transferColour(target.data, target.width,
    target.height, target.channels, patch.x0, patch.y0, patch.width, patch.height, warped.rgb.slice(), mask, warped.covered))])), reps * 3);
  const colourRows: BenchRow[] = backends.map((b) => ({ part, name: `mesh: colour transfer only (${b.backend})`, unit: 'ms/face', ...summarize(colour[b.backend]) }));
  if (colourRows.length === 2) Object.assign(colourRows[0], { baseline: colourRows[1].name, ratio: colourRows[0].median / colourRows[1].median });
  return [
    ...warpRows,
    ...colourRows,
    { part, name: `mesh: landmarks per face 1080p (${kernels.backend})`, unit: 'ms/face', ...summarize(t.landmarks) },
    { part, name: `mesh: warp+colour+blend 1080p (${kernels.backend})`, unit: 'ms/face', ...summarize(t.blend) },
    { part, name: `mesh engine per face, landmarks incl. (${kernels.backend})`, unit: 'ms/face', ...summarize(total) },
  ];
}
