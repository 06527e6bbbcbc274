/**
 * runVideoCreation on the sd-turbo test model with the real ffmpeg: the MP4 ffmpeg reads back
 * (codec, pixel format, frame count, duration), coherence between frames, progress per frame,
 * cancel, and ffmpeg failures. Coherence is measured on the frames decoded from the MP4.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createVideoCreation, runVideoCreation } from '../../src/pipelines/video-creation/index.js';
import { CancelledError, TaskError } from '../../src/tasks/task-errors.js';
import type { ResultMeta } from '../../src/tasks/types.js';
import { FFMPEG_ENV } from '../../src/video/locate-ffmpeg.js';
import { decodeRgbFrames, probeVideo } from '../../src/video/probe.js';
import { FAILING_FFMPEG, fakeFfmpeg, ffmpegChildren, ffmpegPath, ffmpegSource, mad, mean, videoContext } from './support.js';

async function framesOf(dir: string, result: ResultMeta): Promise<Uint8Array[]> {
  return decodeRgbFrames(ffmpegPath, join(dir, result.file), result.width as number, result.height as number);
}

/** Mean MAD between frames `gap` apart. */
function meanGap(frames: Uint8Array[], gap: number): number {
  return mean(frames.slice(gap).map((f, i) => mad(f, frames[i])));
}

afterEach(() => {
  delete process.env[FFMPEG_ENV];
});

describe('video_creation pipeline', () => {
  it('writes an H.264 yuv420p MP4 of duration × fps frames, reporting progress per frame', async () => {
    const steps: [number, number][] = [];
    const ctx = videoContext({ progress: (s, t) => steps.push([s, t]) });
    const result = await runVideoCreation({ prompt: 'a red fox in snow', duration: 2, fps: 8, width: 128, height: 96, seed: 11 }, ctx);
    expect(result).toMatchObject({
      file: `${ctx.ticketId}.mp4`, content_type: 'video/mp4', width: 128, height: 96, frames: 16, fps: 8, duration: 2,
      seed: 11, model: 'sd-turbo', motion: 0.5, strength: 0.4, keyframes: 3, steps: 1, img2img_steps: 3, ffmpeg: ffmpegSource,
    });
    // 3 text-to-image keyframes (1 step each) + 16 img2img frames (1 of 3 steps each).
    expect(result.unet_steps).toBe(3 + 16);
    expect(Object.keys(result.timings ?? {})).toEqual(expect.arrayContaining(['generate_ms', 'ffmpeg_wait_ms', 'finish_ms', 'total_ms']));
    expect(steps).toEqual(Array.from({ length: 17 }, (_, i) => [i, 16]));
    expect(readdirSync(ctx.resultsDir)).toEqual([result.file]);

    const probe = await probeVideo(ffmpegPath, join(ctx.resultsDir, result.file));
    expect(probe).toMatchObject({ codec: 'h264', pixFmt: 'yuv420p', width: 128, height: 96, fps: 8 });
    expect(Math.abs(probe.durationS - 2)).toBeLessThan(1 / 8);
    expect((await framesOf(ctx.resultsDir, result)).length).toBe(16);
  });

  it('a one-frame video (duration 1, fps 1) lasts one second', async () => {
    const ctx = videoContext();
    const result = await runVideoCreation({ prompt: 'a still life', duration: 1, fps: 1, width: 64, height: 64, seed: 2 }, ctx);
    expect(result).toMatchObject({ frames: 1, fps: 1, duration: 1, keyframes: 1 });
    const probe = await probeVideo(ffmpegPath, join(ctx.resultsDir, result.file));
    expect(probe).toMatchObject({ codec: 'h264', pixFmt: 'yuv420p' });
    expect(Math.abs(probe.durationS - 1)).toBeLessThan(1);
    expect((await framesOf(ctx.resultsDir, result)).length).toBe(1);
  });

  it('is coherent: consecutive frames differ far less than frames a second apart, and motion sets how much', async () => {
    const run = async (motion: number) => {
      const ctx = videoContext();
      const result = await runVideoCreation({ prompt: 'waves on a beach', duration: 3, fps: 8, width: 128, height: 128, seed: 5, motion }, ctx);
      return framesOf(ctx.resultsDir, result);
    };
    const frames = await run(0.5);
    expect(frames.length).toBe(24);
    const consecutive = meanGap(frames, 1);
    const secondApart = meanGap(frames, 8);
    expect(consecutive).toBeGreaterThan(0.5); // it moves
    expect(consecutive).toBeLessThan(0.6 * secondApart);
    expect(mad(frames[0], frames[23])).toBeGreaterThan(consecutive);

    const still = await run(0);
    const lively = await run(1);
    expect(meanGap(still, 8)).toBeLessThan(meanGap(frames, 8));
    expect(meanGap(frames, 8)).toBeLessThan(meanGap(lively, 8));
  });

  it('the same seed gives the same frames; another seed other frames', async () => {
    const params = { prompt: 'a lantern', duration: 1, fps: 6, width: 64, height: 64 };
    const c1 = videoContext();
    const c2 = videoContext();
    const c3 = videoContext();
    const a = await framesOf(c1.resultsDir, await runVideoCreation({ ...params, seed: 3 }, c1));
    const b = await framesOf(c2.resultsDir, await runVideoCreation({ ...params, seed: 3 }, c2));
    const c = await framesOf(c3.resultsDir, await runVideoCreation({ ...params, seed: 4 }, c3));
    expect(a.map((f, i) => mad(f, b[i]))).toEqual(a.map(() => 0));
    expect(mean(a.map((f, i) => mad(f, c[i])))).toBeGreaterThan(1);
  });

  it('cancel mid-video: CancelledError, ffmpeg gone, no file left', async () => {
    const ac = new AbortController();
    let pidsDuring: number[] = [];
    const ctx = videoContext({
      signal: ac.signal,
      progress: (s) => {
        if (s === 5) {
          pidsDuring = ffmpegChildren();
          ac.abort();
        }
      },
    });
    await expect(runVideoCreation({ prompt: 'x', duration: 4, fps: 8, width: 96, height: 96, seed: 1 }, ctx)).rejects.toBeInstanceOf(CancelledError);
    expect(pidsDuring.length).toBe(1); // ffmpeg was running mid-video…
    expect(ffmpegChildren()).toEqual([]); // …and is gone
    expect(readdirSync(ctx.resultsDir)).toEqual([]);
  });

  it('a failing ffmpeg (BACKSERV_FFMPEG) fails the task with its stderr; nothing is left behind', async () => {
    process.env[FFMPEG_ENV] = fakeFfmpeg(FAILING_FFMPEG);
    const ctx = videoContext();
    const err = await runVideoCreation({ prompt: 'x', duration: 2, fps: 8, width: 64, height: 64, seed: 1 }, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskError);
    expect((err as TaskError).code).toBe('ffmpeg_failed');
    expect((err as TaskError).message).toMatch(/Video encoding failed: .*exited with code 1[\s\S]*Unknown encoder 'libx264' \(fake ffmpeg for tests\)/);
    expect(ffmpegChildren()).toEqual([]);
    expect(readdirSync(ctx.resultsDir)).toEqual([]);
  });

  it('invalid encoder options on the real ffmpeg fail the task with libx264s own message', async () => {
    const run = createVideoCreation({ encoder: { extraOutputArgs: ['-profile:v', 'no-such-profile'] } });
    const ctx = videoContext();
    await expect(run({ prompt: 'x', duration: 2, fps: 8, width: 64, height: 64, seed: 1 }, ctx)).rejects.toThrow(/invalid profile: no-such-profile/);
    expect(readdirSync(ctx.resultsDir)).toEqual([]);
  });

  it('an unusable BACKSERV_FFMPEG fails before any frame is generated', async () => {
    process.env[FFMPEG_ENV] = '/nonexistent/ffmpeg';
    const steps: number[] = [];
    const err = await runVideoCreation({ prompt: 'x', seed: 1 }, videoContext({ progress: (s) => steps.push(s) })).catch((e: unknown) => e);
    expect((err as TaskError).code).toBe('ffmpeg_unavailable');
    expect(steps).toEqual([]);
  });

  it('refuses more frames than the cap even when called directly', async () => {
    await expect(runVideoCreation({ prompt: 'x', duration: 10, fps: 30 }, videoContext())).rejects.toThrow(/1 to 120 frames/);
  });
});
