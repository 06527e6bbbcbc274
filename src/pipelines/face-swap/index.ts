/**
 * face_swap: fetch the images → detect faces → choose the target faces (indices, rule, or the one
 * nearest `reference_image`) → swap each with the chosen engine → PNG (the target's alpha kept).
 * Engines: inswapper (align to the 128 crop, swap with the ArcFace latent, paste back through
 * the box or a FaceMesh region mask) and mesh (offline: FaceMesh on both faces, piecewise-affine
 * warp, colour transfer, feathered blend; see mesh-swap.ts). `auto` is inswapper when installed.
 * A target_video goes to video/run-video.ts (the same engines, frame by frame).
 * With face_enhance, each face is restored (GFPGAN/CodeFormer, ../face-enhance) right after its swap (pictures and each frame of a target_video).
 */
import { encodePng } from '../../imaging/png-text.js';
import type { ResultMeta } from '../../tasks/types.js';
import { TaskError } from '../../tasks/task-errors.js';
import { checkpoint } from '../checkpoint.js';
import type { TaskParams } from '../params/types.js';
import type { PipelineContext } from '../types.js';
import { writeResultFile } from '../write-result.js';
import { detectFaces, type Detector } from './detect.js';
import { resolveFaceModels } from './face-models.js';
import { InswapperEngine, MeshEngine, type FaceEngine } from './engines.js';
import { parse, type FaceSwapSettings } from './params.js';
import { FaceEnhancer } from '../face-enhance/face-enhancer.js';
import { closestToReference } from './reference.js';
import { pickSourceFace, pickTargetFaces } from './select.js';
import { runVideoFaceSwap } from './video/run-video.js';

export async function runFaceSwap(params: TaskParams, ctx: PipelineContext): Promise<ResultMeta> {
  const s = parse(params);
  if (s.targetImage === undefined) return runVideoFaceSwap(s, ctx);
  return swapFaces({ ...s, targetImage: s.targetImage }, ctx);
}

async function swapFaces(s: FaceSwapSettings & { targetImage: string }, ctx: PipelineContext): Promise<ResultMeta> {
  const t0 = performance.now();
  const models = resolveFaceModels(ctx.models);
  const useInswapper = s.engine === 'inswapper' || (s.engine === 'auto' && models.inswapper !== null);
  if (useInswapper && !models.inswapper) {
    throw new TaskError('engine "inswapper" needs the inswapper and ArcFace models, which are not installed here; use engine "mesh" (offline) or ask the operator to install them.', 'model_unavailable');
  }
  const [source, target, reference] = await Promise.all([
    ctx.loadImage(s.sourceImage, 'source_image'),
    ctx.loadImage(s.targetImage, 'target_image'),
    s.referenceImage === undefined ? Promise.resolve(null) : ctx.loadImage(s.referenceImage, 'reference_image'),
  ]);
  const tFetched = performance.now();
  const [detSession, meshSession, embSession, swapSession] = await Promise.all([
    ctx.sessions.get(models.detector.path),
    ctx.sessions.get(models.landmarks.path),
    models.inswapper ? ctx.sessions.get(models.inswapper.embedder.path) : Promise.resolve(null),
    useInswapper && models.inswapper ? ctx.sessions.get(models.inswapper.swapper.path) : Promise.resolve(null),
  ]);
  const detector: Detector = { kind: models.detector.kind, session: detSession };
  const enhancer = s.faceEnhance ? await FaceEnhancer.create(ctx, 'face_swap', s.faceEnhance) : null;
  const tLoaded = performance.now();
  await checkpoint(ctx.signal);

  const sourceFace = pickSourceFace(await detectFaces(source, detector, ctx.kernels), s.sourceFaceIndex);
  await checkpoint(ctx.signal);
  const targetDetected = await detectFaces(target, detector, ctx.kernels);
  let targetFaces = pickTargetFaces(targetDetected, s.targetFaceIndex === 'all' ? s.targetFaces : s.targetFaceIndex);
  let referenceBy: string | undefined;
  if (reference) {
    const near = await closestToReference(reference, target, targetFaces, { detector, landmarks: meshSession, embedder: embSession, kernels: ctx.kernels });
    targetFaces = [near.face];
    referenceBy = near.descriptor;
  }
  const tDetected = performance.now();
  await checkpoint(ctx.signal);

  const engine: FaceEngine = useInswapper && models.inswapper && swapSession && embSession
    ? await InswapperEngine.create({ swapper: swapSession, embedder: embSession, landmarks: meshSession, emapPath: models.inswapper.swapper.path },
      source, sourceFace, s, ctx.kernels)
    : await MeshEngine.create(meshSession, source, sourceFace, s, ctx.kernels);
  const tPrepared = performance.now();

  // Each face is cut from the frame as swapped so far, as insightface's loop over faces does.
  const frame = { ...target, data: Uint8Array.from(target.data) };
  ctx.progress(0, targetFaces.length);
  for (let k = 0; k < targetFaces.length; k++) {
    await checkpoint(ctx.signal);
    await engine.swap(frame, targetFaces[k], targetDetected.indexOf(targetFaces[k]));
    await enhancer?.enhance(frame, targetFaces[k]);
    ctx.progress(k + 1, targetFaces.length);
  }
  await checkpoint(ctx.signal);

  const tSwapped = performance.now();
  const png = await encodePng(frame.data, target.width, target.height, target.channels, {
    Software: 'Back.Serv',
    'backserv:model': engine.modelId,
    'backserv:engine': engine.name,
    'backserv:detector': models.detector.id,
    'backserv:faces_swapped': String(targetFaces.length),
    ...(enhancer ? { 'backserv:face_enhancer': enhancer.modelId } : {}),
  });
  const file = `${ctx.ticketId}.png`;
  await writeResultFile(ctx.resultsDir, file, png);
  const ms = (v: number) => Math.round(v * 10) / 10;
  return {
    file,
    content_type: 'image/png',
    width: target.width,
    height: target.height,
    model: engine.modelId,
    engine: engine.name,
    face_mask: engine.maskKind,
    detector: models.detector.id,
    landmarks: models.landmarks.id,
    ...(models.inswapper && useInswapper ? { embedder: models.inswapper.embedder.id } : {}),
    ...(referenceBy ? { reference_descriptor: referenceBy } : {}),
    ...(enhancer ? { face_enhancer: enhancer.modelId } : {}),
    faces_swapped: targetFaces.length,
    faces_in_target: targetDetected.length,
    timings: {
      fetch_decode_ms: ms(tFetched - t0),
      model_load_ms: ms(tLoaded - tFetched),
      detect_ms: ms(tDetected - tLoaded),
      [engine.name === 'inswapper' ? 'embed_ms' : 'source_landmarks_ms']: ms(tPrepared - tDetected),
      ...Object.fromEntries(Object.entries(engine.timings).map(([key, v]) => [key, ms(v)])),
      swap_total_ms: ms(tSwapped - tPrepared),
      ...(enhancer ? { enhance_ms: ms(enhancer.ms) } : {}),
      encode_ms: ms(performance.now() - tSwapped),
    },
  };
}
