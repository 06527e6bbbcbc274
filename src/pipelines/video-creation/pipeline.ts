/**
 * video_creation: prompt → frames (a FrameSource) → one ffmpeg process → H.264 MP4.
 * Each frame goes to ffmpeg as soon as it is decoded, so encoding overlaps generation and at
 * most a frame or two is in memory. Progress counts frames; a cancel or any failure kills
 * ffmpeg and deletes the partial file, so only a finished video is ever published.
 */
import type { ResultMeta } from '../../tasks/types.js';
import { FFMPEG_ENV, locateFfmpeg, type LocatedFfmpeg } from '../../video/locate-ffmpeg.js';
import { Mp4Encoder, type EncodeStats, type Mp4EncoderOptions } from '../../video/mp4-encoder.js';
import { join } from 'node:path';
import { checkpoint } from '../checkpoint.js';
import { openSdModel, sdModelLookup, usesCfg } from '../image-creation/index.js';
import type { TaskParams } from '../params/types.js';
import { type Pipeline, type PipelineContext } from '../types.js';
import { CancelledError } from '../../tasks/task-errors.js';
import type { FrameSource } from './frame-source.js';
import { parse } from './params.js';
import { planVideo } from './plan.js';
import { SdFrameSource } from './sd-frame-source.js';

export interface VideoCreationDeps {
  /** Which ffmpeg to run (default: BACKSERV_FFMPEG, else PATH, else the npm package). */
  ffmpeg?(): LocatedFfmpeg;
  /** Encoder settings over the defaults (timeouts; tests force failures with extra args). */
  encoder?: Partial<Omit<Mp4EncoderOptions, 'ffmpegPath' | 'width' | 'height' | 'fps' | 'outFile'>>;
}

interface StreamTimings {
  generateMs: number;
  writeMs: number;
}

/** Pulls frames from the source and pushes them into the encoder, in order, with progress. */
async function stream(source: FrameSource, encoder: Mp4Encoder, ctx: PipelineContext): Promise<StreamTimings> {
  const frames = source.frames(ctx.signal)[Symbol.asyncIterator]();
  const t: StreamTimings = { generateMs: 0, writeMs: 0 };
  let expected = 0;
  for (;;) {
    const t0 = performance.now();
    const next = await frames.next();
    const t1 = performance.now();
    t.generateMs += t1 - t0;
    if (next.done) break;
    if (next.value.index !== expected) throw new Error(`frame source produced frame ${next.value.index}, expected ${expected}`);
    await encoder.write(next.value.rgb, ctx.signal);
    t.writeMs += performance.now() - t1;
    ctx.progress(++expected, source.frameCount);
  }
  if (expected !== source.frameCount) throw new Error(`frame source ended after ${expected} of ${source.frameCount} frames`);
  return t;
}

export function createVideoCreation(deps: VideoCreationDeps = {}): Pipeline {
  return async function runVideoCreation(params: TaskParams, ctx: PipelineContext): Promise<ResultMeta> {
    const t0 = performance.now();
    const s = parse(params, sdModelLookup(ctx.models, 'video_creation'));
    const { frames, fps, motion } = s;
    const ffmpeg = (deps.ffmpeg ?? (() => locateFfmpeg({ configured: process.env[FFMPEG_ENV] })))();
    const model = await openSdModel(ctx.sessions, ctx.kernels, s.model.id, s.model.dir);
    const plan = planVideo(frames, fps, motion, s.steps);
    const guided = usesCfg(model, s.guidanceScale);
    const source = new SdFrameSource({
      model,
      promptAt: () => s.prompt,
      negativePrompt: s.negativePrompt,
      width: s.width,
      height: s.height,
      seed: s.seed,
      plan,
      steps: s.steps,
      guidanceScale: s.guidanceScale,
      guided,
      scheduler: s.scheduler,
    });
    ctx.progress(0, frames);
    await checkpoint(ctx.signal);
    const tLoaded = performance.now();

    const file = `${ctx.ticketId}.mp4`;
    const encoder = new Mp4Encoder({ ...deps.encoder, ffmpegPath: ffmpeg.path, width: s.width, height: s.height, fps, outFile: join(ctx.resultsDir, file) });
    let streamed: StreamTimings;
    let encoded: EncodeStats;
    try {
      streamed = await stream(source, encoder, ctx);
      await checkpoint(ctx.signal); // a cancel after the last frame still publishes nothing
      encoded = await encoder.finish();
    } catch (err) {
      await encoder.abort();
      if (ctx.signal.aborted) throw new CancelledError();
      throw err;
    }
    const ms = (x: number) => Math.round(x);
    return {
      file,
      content_type: 'video/mp4',
      width: encoded.width,
      height: encoded.height,
      frames,
      fps,
      duration: frames / fps,
      seed: s.seed,
      model: model.id,
      motion,
      strength: plan.strength,
      keyframes: plan.keyframes.length,
      steps: s.steps,
      img2img_steps: plan.img2imgSteps,
      unet_steps: source.stats.unetSteps,
      scheduler: s.scheduler,
      bytes: encoded.bytes,
      ffmpeg: ffmpeg.source,
      timings: {
        load_ms: ms(tLoaded - t0),
        prompt_ms: ms(source.stats.promptMs),
        denoise_ms: ms(source.stats.denoiseMs),
        decode_ms: ms(source.stats.decodeMs),
        generate_ms: ms(streamed.generateMs),
        frame_ms: Math.round((streamed.generateMs / frames) * 100) / 100,
        ffmpeg_wait_ms: ms(encoded.waitMs),
        finish_ms: ms(encoded.finishMs),
        total_ms: ms(performance.now() - t0),
      },
    };
  };
}

export const runVideoCreation: Pipeline = createVideoCreation();
