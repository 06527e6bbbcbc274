/**
 * face_swap: fetch both images → detect faces → embed the source face (ArcFace) → for each
 * target face: align to the 128 crop, swap (inswapper), paste back with a feathered mask →
 * PNG (the target's alpha kept). The largest source face goes onto every target face unless
 * `source_face_index` / `target_face_index` say otherwise (faces ordered left to right).
 */
import { encodePng } from '../../imaging/png-text.js';
import type { ResultMeta } from '../../tasks/types.js';
import { checkpoint } from '../checkpoint.js';
import type { TaskParams } from '../params/types.js';
import type { PipelineContext } from '../types.js';
import { writeResultFile } from '../write-result.js';
import { detectFaces, type Detector } from './detect.js';
import { loadEmap } from './emap.js';
import { faceEmbedding } from './embed.js';
import { resolveFaceModels } from './face-models.js';
import { pasteBack } from './paste-back.js';
import { parse, type FaceSwapSettings } from './params.js';
import { pickSourceFace, pickTargetFaces } from './select.js';
import { alignForSwap, runSwapper, swapLatent, SWAP_SIZE } from './swap.js';

export async function runFaceSwap(params: TaskParams, ctx: PipelineContext): Promise<ResultMeta> {
  return swapFaces(parse(params), ctx);
}

async function swapFaces(s: FaceSwapSettings, ctx: PipelineContext): Promise<ResultMeta> {
  const t0 = performance.now();
  const models = resolveFaceModels(ctx.models);
  const [source, target] = await Promise.all([
    ctx.loadImage(s.sourceImage, 'source_image'),
    ctx.loadImage(s.targetImage, 'target_image'),
  ]);
  const tFetched = performance.now();
  const [detSession, embSession, swapSession] = await Promise.all([
    ctx.sessions.get(models.detector.path),
    ctx.sessions.get(models.embedder.path),
    ctx.sessions.get(models.swapper.path),
  ]);
  const emap = loadEmap(models.swapper.path);
  const detector: Detector = { kind: models.detector.kind, session: detSession };
  const tLoaded = performance.now();
  await checkpoint(ctx.signal);

  const sourceFace = pickSourceFace(await detectFaces(source, detector, ctx.kernels), s.sourceFaceIndex);
  await checkpoint(ctx.signal);
  const targetDetected = await detectFaces(target, detector, ctx.kernels);
  const targetFaces = pickTargetFaces(targetDetected, s.targetFaceIndex);
  const tDetected = performance.now();
  await checkpoint(ctx.signal);

  const latent = swapLatent(await faceEmbedding(embSession, source, sourceFace, ctx.kernels), emap);
  const tEmbedded = performance.now();

  // Each face is cut from the frame as swapped so far, as insightface's loop over faces does.
  const frame = Uint8Array.from(target.data);
  let swapMs = 0;
  let alignMs = 0;
  let pasteMs = 0;
  ctx.progress(0, targetFaces.length);
  for (let k = 0; k < targetFaces.length; k++) {
    await checkpoint(ctx.signal);
    const ta = performance.now();
    const crop = alignForSwap({ ...target, data: frame }, targetFaces[k], ctx.kernels);
    const tb = performance.now();
    const swapped = await runSwapper(swapSession, crop, latent);
    const tc = performance.now();
    pasteBack(frame, target.width, target.height, target.channels, swapped.rgb, SWAP_SIZE, swapped.m, ctx.kernels);
    alignMs += tb - ta;
    swapMs += tc - tb;
    pasteMs += performance.now() - tc;
    ctx.progress(k + 1, targetFaces.length);
  }
  await checkpoint(ctx.signal);

  const tSwapped = performance.now();
  const png = await encodePng(frame, target.width, target.height, target.channels, {
    Software: 'Back.Serv',
    'backserv:model': models.swapper.id,
    'backserv:detector': models.detector.id,
    'backserv:faces_swapped': String(targetFaces.length),
  });
  const file = `${ctx.ticketId}.png`;
  await writeResultFile(ctx.resultsDir, file, png);
  const ms = (v: number) => Math.round(v * 10) / 10;
  return {
    file,
    content_type: 'image/png',
    width: target.width,
    height: target.height,
    model: models.swapper.id,
    detector: models.detector.id,
    embedder: models.embedder.id,
    faces_swapped: targetFaces.length,
    faces_in_target: targetDetected.length,
    timings: {
      fetch_decode_ms: ms(tFetched - t0),
      model_load_ms: ms(tLoaded - tFetched),
      detect_ms: ms(tDetected - tLoaded),
      embed_ms: ms(tEmbedded - tDetected),
      align_ms: ms(alignMs),
      swap_ms: ms(swapMs),
      paste_back_ms: ms(pasteMs),
      swap_total_ms: ms(tSwapped - tEmbedded),
      encode_ms: ms(performance.now() - tSwapped),
    },
  };
}
