/**
 * face_enhance on a target_video, called as the worker runs it: real ffmpeg, the bundled YuNet,
 * the real FaceMesh (mesh engine) and the signature-exact GFPGAN test model (it negates the face,
 * so an enhanced face is far from the plain swap). Same clip with and without face_enhance: the
 * same frame count, each frame's face region differs, a corner far from the face does not
 * (beyond H.264 noise), progress per frame is unchanged, and the result names the enhancer.
 * keep_target_regions on a video: each frame's eyes and mouth stay as filmed.
 */
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { loadKernels } from '../../src/native/index.js';
import { detectFaces } from '../../src/pipelines/face-swap/detect.js';
import { faceMesh } from '../../src/pipelines/face-swap/landmarks.js';
import { rasterRegions } from '../../src/pipelines/face-swap/mask.js';
import { runFaceSwap } from '../../src/pipelines/face-swap/index.js';
import { probeInputVideo } from '../../src/video/probe-input.js';
import { decodeRgbFrames } from '../../src/video/probe.js';
import { makeTestModels } from '../support/make-test.js';
import { modelPath, pipelineContext, sessions, yunet } from './support.js';
import { ffmpegPath, makeClip } from './video-support.js';

const kernels = loadKernels();
/** The portrait clip is SIDE² with grey columns on the right: frames W×SIDE, a flat area far from the face. */
const SIDE = 160, W = 384;
let modelsDir = '';

beforeAll(async () => {
  // An offline install (FaceMesh; YuNet is bundled) plus the GFPGAN test enhancer.
  modelsDir = mkdtempSync(join(tmpdir(), 'backserv-video-enhance-models-'));
  symlinkSync(join(inject('testModelsDir'), 'facemesh'), join(modelsDir, 'facemesh'), 'dir');
  await makeTestModels(modelsDir, ['gfpgan-1.4']);
});

/** Mean absolute RGB difference over a rectangle of two W×SIDE frames. */
function meanDiff(a: Uint8Array, b: Uint8Array, x0: number, y0: number, x1: number, y1: number): number {
  let s = 0, n = 0;
  for (let y = Math.max(0, y0); y < Math.min(SIDE, y1); y++) {
    for (let x = Math.max(0, x0); x < Math.min(W, x1); x++) {
      for (let c = 0; c < 3; c++, n++) s += Math.abs(a[(y * W + x) * 3 + c] - b[(y * W + x) * 3 + c]);
    }
  }
  return s / n;
}

describe('face_swap target_video with face_enhance', () => {
  it('restores the swapped face in every frame; pixels far from the face stay as the plain swap', async () => {
    const clip = makeClip({ frames: 10, fps: 10, side: SIDE, padRight: W - SIDE });
    const run = async (extra: Record<string, unknown>) => {
      const steps: number[] = [];
      const ctx = pipelineContext(modelsDir, { loadVideoBytes: (ref) => Promise.resolve(readFileSync(ref)), progress: (s) => steps.push(s) });
      const meta = await runFaceSwap({ source_image: 'lowres_bryan.png', target_video: clip, ...extra }, ctx);
      return { meta, steps, file: join(ctx.resultsDir, meta.file) };
    };
    const plain = await run({});
    const enhanced = await run({ face_enhance: true });
    expect(plain.meta.face_enhancer).toBeUndefined();
    expect(enhanced.meta).toMatchObject({ content_type: 'video/mp4', frames: 10, engine: 'mesh', face_enhancer: 'gfpgan-1.4', frames_with_faces: 10 });
    expect(enhanced.meta.timings?.enhance_ms).toBeGreaterThan(0);
    expect(enhanced.steps).toEqual(plain.steps);
    expect(enhanced.steps).toEqual(Array.from({ length: 11 }, (_, i) => i));
    expect(await probeInputVideo(ffmpegPath, enhanced.file, 'out')).toMatchObject({ frames: 10, width: W, height: SIDE });

    const input = await decodeRgbFrames(ffmpegPath, clip, W, SIDE);
    const a = await decodeRgbFrames(ffmpegPath, plain.file, W, SIDE);
    const b = await decodeRgbFrames(ffmpegPath, enhanced.file, W, SIDE);
    expect([a.length, b.length]).toEqual([10, 10]);
    const detector = await yunet();
    for (let k = 0; k < 10; k++) {
      const [face] = await detectFaces({ data: input[k], width: W, height: SIDE, channels: 3, hasAlpha: false }, detector, kernels);
      const [x1, y1, x2, y2] = face.box;
      // The centre half of the face box: well inside the feathered paste-back mask.
      const w = x2 - x1, h = y2 - y1;
      const centre = meanDiff(a[k], b[k], Math.round(x1 + w / 4), Math.round(y1 + h / 4), Math.round(x2 - w / 4), Math.round(y2 - h / 4));
      expect(centre, `frame ${k}`).toBeGreaterThan(40); // an inversion moves pixels by ~|255 − 2v|
      // Beyond the enhancer's reach (its 512-template crop spans ~2.5 face widths): H.264 noise only.
      const far = meanDiff(a[k], b[k], Math.ceil(x2 + 1.5 * w), 0, W, SIDE);
      expect(far, `frame ${k}`).toBeLessThan(1);
    }
  });
});

describe('face_swap target_video with keep_target_regions', () => {
  it('["eyes", "mouth"]: each frame\'s eyes and mouth stay as filmed (within H.264 noise); without it they change', async () => {
    const clip = makeClip({ frames: 6, fps: 6, side: SIDE, padRight: W - SIDE, shift: 0 });
    const run = async (extra: Record<string, unknown>) => {
      const ctx = pipelineContext(modelsDir, { loadVideoBytes: (ref) => Promise.resolve(readFileSync(ref)) });
      const meta = await runFaceSwap({ source_image: 'lowres_bryan.png', target_video: clip, temporal_smoothing: false, ...extra }, ctx);
      return decodeRgbFrames(ffmpegPath, join(ctx.resultsDir, meta.file), W, SIDE);
    };
    const plain = await run({});
    const kept = await run({ keep_target_regions: ['eyes', 'mouth'] });
    const input = await decodeRgbFrames(ffmpegPath, clip, W, SIDE);
    const mesh = await sessions.get(modelPath('facemesh'));
    const detector = await yunet();
    for (let k = 0; k < input.length; k++) {
      const frame = { data: input[k], width: W, height: SIDE, channels: 3 as const, hasAlpha: false };
      const [face] = await detectFaces(frame, detector, kernels);
      const { points } = await faceMesh(mesh, frame, face, kernels);
      // One pixel in from the edge: between detections the pipeline's mesh comes from the face it followed, a pixel or so from this one.
      const hard = kernels.erode(rasterRegions(points, { kind: 'regions', regions: ['eyes', 'mouth'] }, [1, 0, 0, 0, 1, 0], W, SIDE), W, SIDE, 1);
      const inside = (out: Uint8Array) => {
        let s = 0, n = 0;
        for (let i = 0; i < hard.length; i++) if (hard[i] >= 1) for (let c = 0; c < 3; c++, n++) s += Math.abs(out[3 * i + c] - input[k][3 * i + c]);
        return s / n;
      };
      // Kept: H.264 noise only (a few levels on these few small parts); swapped: several times more.
      expect(inside(kept[k]), `frame ${k}`).toBeLessThan(7);
      expect(inside(kept[k]), `frame ${k}`).toBeLessThan(0.3 * inside(plain[k]));
    }
  });
});
