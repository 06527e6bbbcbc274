/**
 * face_swap on a target_video: fetch it (the image fetcher's caps and SSRF rules) into a temp
 * file, probe it (quick, no decoding) against the bounds, find the source face, then three
 * concurrent streams: an ffmpeg decoder piping raw frames in (a few frames of read-ahead), the
 * swap on this thread, and an ffmpeg encoder piping H.264 out (the original audio added from the
 * input file). Frame k is swapped while ffmpeg still takes frame k−1, so decode and encode
 * overlap the swap. With face_enhance each swapped face is restored in its frame. Progress per frame, a cancel point between frames; a cancel or any failure
 * kills both ffmpegs and leaves no file.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DecodedImage } from '../../../imaging/decoded-image.js';
import { CancelledError, TaskError } from '../../../tasks/task-errors.js';
import { InvalidImageError } from '../../../tasks/invalid-image-error.js';
import type { ResultMeta } from '../../../tasks/types.js';
import { FrameReader } from '../../../video/frame-reader.js';
import { FFMPEG_ENV, locateFfmpeg, type LocatedFfmpeg } from '../../../video/locate-ffmpeg.js';
import { Mp4Encoder, type EncodeStats, type Mp4EncoderOptions } from '../../../video/mp4-encoder.js';
import { probeInputVideo, type InputVideo } from '../../../video/probe-input.js';
import { sniffVideoContainer } from '../../../video/sniff-video.js';
import { checkpoint } from '../../checkpoint.js';
import type { PipelineContext } from '../../types.js';
import { FaceEnhancer } from '../../face-enhance/face-enhancer.js';
import { detectFaces, type Detector } from '../detect.js';
import { InswapperEngine } from '../engines.js';
import { resolveFaceModels } from '../face-models.js';
import { faceMesh } from '../landmarks.js';
import type { FaceMaskSpec } from '../mask.js';
import type { FaceSwapSettings } from '../params.js';
import { pickSourceFace } from '../select.js';
import { VideoFrameSwapper, type FrameEngine, type FrameSwapOptions } from './frame-swap.js';
import { SMOOTHING, VIDEO_SWAP } from './limits.js';

const FIELD = 'target_video';
/** Audio codecs an MP4 carries as they are; anything else (Vorbis, Opus, PCM) is re-encoded to AAC. */
const MP4_AUDIO = new Set(['aac', 'mp3', 'alac', 'ac3', 'eac3']);

export interface VideoSwapDeps {
  ffmpeg?(): LocatedFfmpeg;
  encoder?: Partial<Omit<Mp4EncoderOptions, 'ffmpegPath' | 'width' | 'height' | 'fps' | 'outFile' | 'audio'>>;
  /** Sees the landmarks of every swapped face (tests measure jitter with it). */
  observe?: FrameSwapOptions['observe'];
}

/** Throws invalid_video when the probe shows a video over the bounds, saying what to change. */
export function checkBounds(v: InputVideo): void {
  const bad = (why: string) => new TaskError(`${FIELD}: ${why}`, 'invalid_video');
  if (v.durationS > VIDEO_SWAP.maxDurationS + 0.05) throw bad(`is ${v.durationS.toFixed(1)} s long, over the limit of ${VIDEO_SWAP.maxDurationS} s; trim it`);
  if (v.frames > VIDEO_SWAP.maxFrames) throw bad(`has ${v.frames} frames, over the limit of ${VIDEO_SWAP.maxFrames}; trim it or lower its frame rate`);
  if (v.width * v.height > VIDEO_SWAP.maxPixels) {
    throw bad(`is ${v.width}×${v.height} (${v.width * v.height} pixels per frame), over the limit of ${VIDEO_SWAP.maxPixels}; scale it down (e.g. to 1920×1080)`);
  }
  if (v.width < 2 || v.height < 2) throw bad(`is ${v.width}×${v.height}; frames must be at least 2×2`);
}

async function fetchVideo(ref: string, ctx: PipelineContext): Promise<Buffer> {
  if (!ctx.loadVideoBytes) throw new Error('this pipeline context cannot load videos');
  try {
    return await ctx.loadVideoBytes(ref, FIELD);
  } catch (err) {
    if (err instanceof InvalidImageError) throw new TaskError(err.message, 'invalid_video', { cause: err });
    throw err;
  }
}

function meshMask(s: FaceSwapSettings): Exclude<FaceMaskSpec, { kind: 'box' }> {
  // As the image mesh engine: the warp covers the mesh only, so a box mask means the oval.
  if (s.faceMask === 'regions') return { kind: 'regions', regions: s.maskRegions };
  return { kind: 'oval' };
}

export async function runVideoFaceSwap(s: FaceSwapSettings, ctx: PipelineContext, deps: VideoSwapDeps = {}): Promise<ResultMeta> {
  const t0 = performance.now();
  const ref = s.targetVideo;
  if (ref === undefined) throw new TaskError('target_video is missing', 'invalid_params');
  const models = resolveFaceModels(ctx.models);
  const useInswapper = s.engine === 'inswapper' || (s.engine === 'auto' && models.inswapper !== null);
  if (useInswapper && !models.inswapper) {
    throw new TaskError('engine "inswapper" needs the inswapper and ArcFace models, which are not installed here; use engine "mesh" (offline) or ask the operator to install them.', 'model_unavailable');
  }
  const ffmpeg = (deps.ffmpeg ?? (() => locateFfmpeg({ configured: process.env[FFMPEG_ENV] })))();
  const [bytes, source] = await Promise.all([fetchVideo(ref, ctx), ctx.loadImage(s.sourceImage, 'source_image')]);
  if (sniffVideoContainer(bytes.subarray(0, 16)) === null) {
    throw new TaskError(`${FIELD}: is not an MP4, MOV, WebM or GIF video (its first bytes say otherwise)`, 'invalid_video');
  }
  const dir = await mkdtemp(join(tmpdir(), 'backserv-video-in-'));
  try {
    const input = join(dir, 'input');
    await writeFile(input, bytes);
    const tFetched = performance.now();
    const video = await probeInputVideo(ffmpeg.path, input, FIELD, ctx.signal);
    checkBounds(video);
    const tProbed = performance.now();
    await checkpoint(ctx.signal);

    const [detSession, meshSession, embSession, swapSession] = await Promise.all([
      ctx.sessions.get(models.detector.path),
      ctx.sessions.get(models.landmarks.path),
      useInswapper && models.inswapper ? ctx.sessions.get(models.inswapper.embedder.path) : Promise.resolve(null),
      useInswapper && models.inswapper ? ctx.sessions.get(models.inswapper.swapper.path) : Promise.resolve(null),
    ]);
    const detector: Detector = { kind: models.detector.kind, session: detSession };
    // One enhancer session for the whole video; each frame's faces are restored in place, so memory stays per frame.
    const enhancer = s.faceEnhance ? await FaceEnhancer.create(ctx, 'face_swap', s.faceEnhance) : null;
    const sourceFace = pickSourceFace(await detectFaces(source, detector, ctx.kernels), s.sourceFaceIndex);
    const engine: FrameEngine = useInswapper && models.inswapper && swapSession && embSession
      ? { kind: 'inswapper', engine: await InswapperEngine.create({ swapper: swapSession, embedder: embSession, landmarks: meshSession, emapPath: models.inswapper.swapper.path }, source, sourceFace, s, ctx.kernels) }
      : { kind: 'mesh', mesh: { session: meshSession, image: source, points: (await faceMesh(meshSession, source, sourceFace, ctx.kernels)).points, mask: meshMask(s), maskBlur: s.maskBlur, keep: s.keepTargetRegions } };
    const swapper = new VideoFrameSwapper({
      detector,
      kernels: ctx.kernels,
      engine,
      targets: s.targetFaceIndex === 'all' ? s.targetFaces : [s.targetFaceIndex],
      smoothing: s.temporalSmoothing ? SMOOTHING : null,
      enhancer,
      ...(deps.observe ? { observe: deps.observe } : {}),
    });
    const tPrepared = performance.now();
    ctx.progress(0, video.frames);
    await checkpoint(ctx.signal);

    const file = `${ctx.ticketId}.mp4`;
    const audio = video.audioCodec === null ? undefined : { file: input, copy: MP4_AUDIO.has(video.audioCodec) };
    const reader = new FrameReader({ ffmpegPath: ffmpeg.path, file: input, width: video.width, height: video.height, maxFrames: VIDEO_SWAP.maxFrames, field: FIELD });
    const encoder = new Mp4Encoder({ ...deps.encoder, ffmpegPath: ffmpeg.path, width: video.width, height: video.height, fps: video.fps, outFile: join(ctx.resultsDir, file), audio });
    let frames = 0, faces = 0, framesWithFaces = 0, skippedPose = 0;
    let encoded: EncodeStats;
    let swapMs = 0;
    try {
      let pending: Promise<void> | null = null;
      for (;;) {
        await checkpoint(ctx.signal);
        const rgb = await reader.next(ctx.signal);
        if (!rgb) break;
        const frame: DecodedImage = { data: rgb, width: video.width, height: video.height, channels: 3, hasAlpha: false };
        const ts = performance.now();
        const st = await swapper.swapFrame(frame, frames / video.fps);
        swapMs += performance.now() - ts;
        faces += st.faces;
        skippedPose += st.skippedPose;
        if (st.faces > 0) framesWithFaces++;
        // ffmpeg takes frame k−1 while frame k was swapped; wait for it only now.
        if (pending) await pending;
        pending = encoder.write(rgb, ctx.signal);
        pending.catch(() => undefined); // awaited next turn; this only keeps it from counting as unhandled meanwhile
        frames++;
        ctx.progress(frames, Math.max(video.frames, frames));
      }
      if (pending) await pending;
      if (faces === 0) {
        throw new TaskError(skippedPose > 0
          ? `${FIELD}: every face found is turned more than the mesh engine allows from source_image; use a source photo in a similar pose, or engine "inswapper" where installed`
          : `no face found in any frame of ${FIELD}`);
      }
      await checkpoint(ctx.signal); // a cancel after the last frame still publishes nothing
      encoded = await encoder.finish();
    } catch (err) {
      await Promise.all([reader.close(), encoder.abort()]);
      if (ctx.signal.aborted) throw new CancelledError();
      if (err instanceof TaskError) err.message = err.message.split(input).join(FIELD);
      throw err;
    }
    await reader.close();
    const ms = (x: number) => Math.round(x);
    const engineInfo = engine.kind === 'inswapper' ? engine.engine : { name: 'mesh', modelId: 'facemesh', maskKind: engine.mesh.mask.kind };
    return {
      file,
      content_type: 'video/mp4',
      width: encoded.width,
      height: encoded.height,
      frames,
      fps: video.fps,
      duration: Math.round((frames / video.fps) * 1000) / 1000,
      audio: audio ? (audio.copy ? 'copied' : 'aac') : 'none',
      bytes: encoded.bytes,
      model: engineInfo.modelId,
      engine: engineInfo.name,
      face_mask: engineInfo.maskKind,
      detector: models.detector.id,
      landmarks: models.landmarks.id,
      ...(useInswapper && models.inswapper ? { embedder: models.inswapper.embedder.id } : {}),
      ...(enhancer ? { face_enhancer: enhancer.modelId } : {}),
      temporal_smoothing: s.temporalSmoothing,
      faces_swapped: faces,
      frames_with_faces: framesWithFaces,
      ...(skippedPose > 0 ? { faces_skipped_pose: skippedPose } : {}),
      ffmpeg: ffmpeg.source,
      timings: {
        fetch_ms: ms(tFetched - t0),
        probe_ms: ms(tProbed - tFetched),
        prepare_ms: ms(tPrepared - tProbed),
        swap_ms: ms(swapMs),
        ...Object.fromEntries(Object.entries(swapper.timings).map(([k, v]) => [k, ms(v)])),
        ...(enhancer ? { enhance_ms: ms(enhancer.ms) } : {}),
        decode_wait_ms: ms(reader.waitMs),
        ffmpeg_wait_ms: ms(encoded.waitMs),
        finish_ms: ms(encoded.finishMs),
        total_ms: ms(performance.now() - t0),
        faces_per_s: Math.round((faces / (swapMs / 1000)) * 100) / 100,
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
