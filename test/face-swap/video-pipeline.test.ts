/**
 * face_swap on a target_video, called directly with real ffmpeg, the bundled YuNet and the real
 * FaceMesh (the offline mesh engine): frame count and audio kept, the face changed, progress per
 * frame, landmark jitter lower with One Euro smoothing than without, cancel between frames, and
 * bad videos failing with invalid_video messages that say what to change.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/native/index.js';
import { detectFaces } from '../../src/pipelines/face-swap/detect.js';
import { faceMesh } from '../../src/pipelines/face-swap/landmarks.js';
import { runFaceSwap } from '../../src/pipelines/face-swap/index.js';
import { pickSourceFace } from '../../src/pipelines/face-swap/select.js';
import { VideoFrameSwapper } from '../../src/pipelines/face-swap/video/frame-swap.js';
import { SMOOTHING } from '../../src/pipelines/face-swap/video/limits.js';
import { CancelledError, TaskError } from '../../src/tasks/task-errors.js';
import { probeInputVideo } from '../../src/video/probe-input.js';
import { decodeRgbFrames, probeVideo } from '../../src/video/probe.js';
import { ffmpegChildren } from '../video-creation/support.js';
import { photo, yunet, sessions, modelPath } from './support.js';
import { ffmpegPath, makeClip, makePatternClip, videoSwapContext } from './video-support.js';

const kernels = loadKernels();

describe('face_swap target_video (mesh engine, offline)', () => {
  it('MP4 in → H.264/yuv420p MP4 out: same frame count, fps and audio codec, the face changed, progress per frame', async () => {
    const clip = makeClip({ frames: 20, fps: 10 });
    const steps: [number, number][] = [];
    const ctx = videoSwapContext({ progress: (s, t) => steps.push([s, t]) });
    const r = await runFaceSwap({ source_image: 'lowres_bryan.png', target_video: clip }, ctx);
    expect(r).toMatchObject({ content_type: 'video/mp4', frames: 20, fps: 10, width: 256, height: 256, engine: 'mesh', audio: 'copied', temporal_smoothing: true, frames_with_faces: 20 });
    expect(steps).toEqual(Array.from({ length: 21 }, (_, i) => [i, 20]));

    const out = join(ctx.resultsDir, r.file as string);
    const [inInfo, outInfo] = await Promise.all([probeInputVideo(ffmpegPath, clip, 'in'), probeInputVideo(ffmpegPath, out, 'out')]);
    expect(outInfo.frames).toBe(inInfo.frames);
    expect(outInfo.audioCodec).toBe(inInfo.audioCodec);
    expect(outInfo.audioCodec).toBe('aac');
    expect(Math.abs(outInfo.durationS - inInfo.durationS)).toBeLessThan(0.15);
    expect(await probeVideo(ffmpegPath, out)).toMatchObject({ codec: 'h264', pixFmt: 'yuv420p', width: 256, height: 256, fps: 10 });

    const before = await decodeRgbFrames(ffmpegPath, clip, 256, 256);
    const after = await decodeRgbFrames(ffmpegPath, out, 256, 256);
    expect(after.length).toBe(before.length);
    // The face (where YuNet finds it in the input frame) changed well beyond coding noise; a corner did not.
    const detector = await yunet();
    const diff = (a: Uint8Array, b: Uint8Array, x0: number, y0: number, x1: number, y1: number) => {
      let s = 0, n = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) for (let c = 0; c < 3; c++, n++) s += Math.abs(a[(y * 256 + x) * 3 + c] - b[(y * 256 + x) * 3 + c]);
      return s / n;
    };
    for (const k of [0, 10, 19]) {
      const [face] = await detectFaces({ data: before[k], width: 256, height: 256, channels: 3, hasAlpha: false }, detector, kernels);
      const [x1, y1, x2, y2] = face.box.map(Math.round);
      expect(diff(before[k], after[k], x1, y1, x2, y2)).toBeGreaterThan(10);
      expect(diff(before[k], after[k], 0, 0, 32, 32)).toBeLessThan(3);
    }
  });

  it('WebM (Vorbis audio) in: MP4 out with the audio re-encoded to AAC, same frame count', async () => {
    const clip = makeClip({ frames: 12, fps: 12, format: 'webm' });
    const ctx = videoSwapContext();
    const r = await runFaceSwap({ source_image: 'portrait_astronaut.jpg', target_video: clip, temporal_smoothing: false }, ctx);
    expect(r).toMatchObject({ frames: 12, fps: 12, audio: 'aac', temporal_smoothing: false });
    const info = await probeInputVideo(ffmpegPath, join(ctx.resultsDir, r.file as string), 'out');
    expect(info).toMatchObject({ frames: 12, codec: 'h264', audioCodec: 'aac' });
  });

  it('GIF in (no audio): MP4 out without audio, same frame count', async () => {
    const clip = makeClip({ frames: 8, fps: 8, side: 160, format: 'gif' });
    const ctx = videoSwapContext();
    const r = await runFaceSwap({ source_image: 'portrait_astronaut.jpg', target_video: clip }, ctx);
    expect(r).toMatchObject({ frames: 8, audio: 'none', width: 160, height: 160 });
    const info = await probeInputVideo(ffmpegPath, join(ctx.resultsDir, r.file as string), 'out');
    expect(info).toMatchObject({ frames: 8, audioCodec: null });
  });

  it('landmark jitter on a shaking clip is lower with One Euro smoothing than without', async () => {
    const clip = makeClip({ frames: 30, fps: 15, shift: 3 });
    const frames = await decodeRgbFrames(ffmpegPath, clip, 256, 256);
    const detector = await yunet();
    const meshSession = await sessions.get(modelPath('facemesh'));
    const source = await photo('portrait_astronaut.jpg');
    const sourceFace = pickSourceFace(await detectFaces(source, detector, kernels), 'largest');
    const sourcePts = (await faceMesh(meshSession, source, sourceFace, kernels)).points;
    const jitter = async (smooth: boolean): Promise<number> => {
      const trace: Float32Array[] = [];
      const swapper = new VideoFrameSwapper({
        detector, kernels, targets: 'all', smoothing: smooth ? SMOOTHING : null,
        engine: { kind: 'mesh', mesh: { session: meshSession, image: source, points: sourcePts, mask: { kind: 'oval' }, maskBlur: 0.3 } },
        observe: (_frame, track, points) => { if (track === 0) trace.push(points); },
      });
      for (let k = 0; k < frames.length; k++) {
        await swapper.swapFrame({ data: Uint8Array.from(frames[k]), width: 256, height: 256, channels: 3, hasAlpha: false }, k / 15);
      }
      expect(trace.length).toBe(frames.length);
      // Mean frame-to-frame movement of the 468 points (x, y), in pixels.
      let sum = 0, n = 0;
      for (let k = 1; k < trace.length; k++) {
        for (let i = 0; i < trace[k].length; i += 3, n++) sum += Math.hypot(trace[k][i] - trace[k - 1][i], trace[k][i + 1] - trace[k - 1][i + 1]);
      }
      return sum / n;
    };
    const raw = await jitter(false);
    const smoothed = await jitter(true);
    expect(raw).toBeGreaterThan(1); // the clip does shake
    expect(smoothed).toBeLessThan(0.6 * raw);
  });

  it('cancel mid-video: CancelledError between frames, both ffmpegs gone, no file left', async () => {
    const clip = makeClip({ frames: 40, fps: 10 });
    const abort = new AbortController();
    let last = 0;
    const ctx = videoSwapContext({
      signal: abort.signal,
      progress: (s) => {
        last = s;
        if (s === 5) abort.abort();
      },
    });
    await expect(runFaceSwap({ source_image: 'portrait_astronaut.jpg', target_video: clip }, ctx)).rejects.toBeInstanceOf(CancelledError);
    expect(last).toBe(5);
    expect(ffmpegChildren()).toEqual([]);
    expect(readdirSync(ctx.resultsDir)).toEqual([]);
  });
});

describe('face_swap target_video: bad input fails saying what to change', () => {
  const failure = async (params: Record<string, unknown>) => {
    const ctx = videoSwapContext();
    const err = await runFaceSwap({ source_image: 'portrait_astronaut.jpg', ...params }, ctx).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(TaskError);
    expect(readdirSync(ctx.resultsDir)).toEqual([]);
    expect(ffmpegChildren()).toEqual([]);
    return err as TaskError;
  };

  it('not a video (a JPEG): invalid_video naming target_video', async () => {
    const err = await failure({ target_video: join(import.meta.dirname, '..', 'fixtures', 'images', 'portrait_astronaut.jpg') });
    expect(err.code).toBe('invalid_video');
    expect(err.message).toMatch(/^target_video: is not an MP4, MOV, WebM or GIF video/);
  });

  it('a video container ffmpeg cannot read (MP4 magic, garbage after): invalid_video, no server path in the message', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'backserv-bad-')), 'bad.mp4');
    writeFileSync(file, Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(4000, 7)]));
    const err = await failure({ target_video: file });
    expect(err.code).toBe('invalid_video');
    expect(err.message).toMatch(/^target_video: /);
    expect(err.message).not.toMatch(/\/tmp\//);
  });

  it('too many frames (1801 at 60 fps): invalid_video with the limit', async () => {
    const err = await failure({ target_video: makePatternClip(16, 16, 60, 1801) });
    expect(err.code).toBe('invalid_video');
    expect(err.message).toMatch(/target_video: has 1801 frames, over the limit of 1800/);
  });

  it('too long (61 s at 1 fps): invalid_video with the limit', async () => {
    const err = await failure({ target_video: makePatternClip(16, 16, 1, 61) });
    expect(err.code).toBe('invalid_video');
    expect(err.message).toMatch(/target_video: is 61\.0 s long, over the limit of 60 s; trim it/);
  });

  it('too many pixels (1922×1082): invalid_video with the limit', async () => {
    const err = await failure({ target_video: makePatternClip(1922, 1082, 1, 1) });
    expect(err.code).toBe('invalid_video');
    expect(err.message).toMatch(/target_video: is 1922×1082 .* over the limit of 2073600; scale it down/);
  });

  it('no face in source_image: Failed naming source_image', async () => {
    const err = await failure({ source_image: 'noface_rocket.jpg', target_video: makeClip({ frames: 4 }) });
    expect(err.message).toMatch(/no face found in source_image/);
  });

  it('no face in any frame of the video: Failed, nothing published', async () => {
    const err = await failure({ target_video: makePatternClip(64, 64, 4, 4) });
    expect(err.message).toMatch(/no face found in any frame of target_video/);
  });
});
