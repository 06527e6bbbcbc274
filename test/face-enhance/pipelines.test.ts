/**
 * face_enhance called through the pipelines as the worker runs them, with real YuNet detection,
 * the real FaceMesh, and the signature-exact test enhancers (GFPGAN: negates the face;
 * CodeFormer: scales it by 2w − 1). Each face region changes, pixels far from faces do not,
 * blend 0 changes nothing, fidelity reaches CodeFormer, and image_upscale enhances the faces it
 * finds on the upscaled image.
 */
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { loadKernels } from '../../src/native/index.js';
import { detectFaces } from '../../src/pipelines/face-swap/detect.js';
import { runFaceSwap } from '../../src/pipelines/face-swap/index.js';
import type { Face } from '../../src/pipelines/face-swap/types.js';
import { runImageUpscale } from '../../src/pipelines/image-upscale/index.js';
import type { WorkerEnv } from '../../src/pipelines/worker-env.js';
import type { ResultMeta } from '../../src/tasks/types.js';
import type { PipelineContext } from '../../src/pipelines/types.js';
import { makeTestModels } from '../support/make-test.js';
import { pipelineContext, yunet } from '../face-swap/support.js';

type Pixels = { data: Buffer; width: number; height: number; channels: number };

let modelsDir = '';

beforeAll(async () => {
  // The face-swap suite's models (test inswapper/ArcFace, real FaceMesh; YuNet detects) plus the
  // test upscaler and both test enhancers.
  modelsDir = mkdtempSync(join(tmpdir(), 'backserv-enhance-models-'));
  for (const id of ['arcface-w600k-r50', 'inswapper-128', 'facemesh', 'realesrgan-x4plus']) {
    symlinkSync(join(inject('testModelsDir'), id), join(modelsDir, id), 'dir');
  }
  await makeTestModels(modelsDir, ['gfpgan-1.4', 'codeformer']);
});

async function pixels(ctx: PipelineContext, meta: ResultMeta): Promise<Pixels> {
  const { data, info } = await sharp(readFileSync(join(ctx.resultsDir, meta.file))).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

async function swap(extra: Record<string, unknown>): Promise<{ meta: ResultMeta; px: Pixels }> {
  const ctx = pipelineContext(modelsDir);
  const meta = await runFaceSwap({ source_image: 'portrait_astronaut.jpg', target_image: 'group_apollo11.jpg', ...extra }, ctx);
  return { meta, px: await pixels(ctx, meta) };
}

const UPSCALE_ENV = { upscale: { tile: 128, pad: 8, maxOutputPixels: 50_000_000 } } as WorkerEnv;

async function upscale(extra: Record<string, unknown>): Promise<{ meta: ResultMeta; px: Pixels }> {
  const ctx = pipelineContext(modelsDir, { env: UPSCALE_ENV });
  const meta = await runImageUpscale({ image_url: 'lowres_bryan.png', ...extra }, ctx);
  return { meta, px: await pixels(ctx, meta) };
}

interface Split {
  /** Per face: the share of its box's pixels that differ. */
  inFaces: number[];
  /** Pixels that differ farther than one face size from every face box. */
  far: number;
  /** Mean absolute RGB difference over the face boxes. */
  meanInFaces: number;
}

/** Compares two RGB(A) results of the same size region by region. */
function compare(a: Pixels, b: Pixels, faces: Face[]): Split {
  expect([a.width, a.height, a.channels]).toEqual([b.width, b.height, b.channels]);
  const inside = faces.map(() => ({ changed: 0, total: 0 }));
  let far = 0, sum = 0, count = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      const p = (y * a.width + x) * a.channels;
      let d = 0;
      for (let c = 0; c < 3; c++) d += Math.abs(a.data[p + c] - b.data[p + c]);
      const k = faces.findIndex((f) => x >= f.box[0] && x < f.box[2] && y >= f.box[1] && y < f.box[3]);
      if (k >= 0) {
        inside[k].total++;
        if (d > 0) inside[k].changed++;
        sum += d / 3;
        count++;
        continue;
      }
      const near = faces.some((f) => {
        const m = Math.max(f.box[2] - f.box[0], f.box[3] - f.box[1]);
        return x >= f.box[0] - m && x < f.box[2] + m && y >= f.box[1] - m && y < f.box[3] + m;
      });
      if (!near && d > 0) far++;
    }
  }
  return { inFaces: inside.map((s) => s.changed / s.total), far, meanInFaces: sum / count };
}

async function facesOf(px: Pixels): Promise<Face[]> {
  const img = { data: new Uint8Array(px.data), width: px.width, height: px.height, channels: px.channels as 3 | 4, hasAlpha: px.channels === 4 };
  return detectFaces(img, await yunet(), loadKernels());
}

describe('face_enhance in face_swap', () => {
  it('enhances every swapped face (GFPGAN test model: the face inverted) and leaves pixels far from faces alone', async () => {
    const plain = await swap({});
    const enhanced = await swap({ face_enhance: true });
    expect(enhanced.meta).toMatchObject({ faces_swapped: 3, face_enhancer: 'gfpgan-1.4' });
    expect(enhanced.meta.timings?.enhance_ms).toBeGreaterThan(0);
    expect(plain.meta.face_enhancer).toBeUndefined();
    const faces = await facesOf(plain.px);
    expect(faces).toHaveLength(3);
    const split = compare(plain.px, enhanced.px, faces);
    for (const share of split.inFaces) expect(share).toBeGreaterThan(0.9);
    // An inversion moves face pixels by ~|255 − 2v|: far more than resampling noise.
    expect(split.meanInFaces).toBeGreaterThan(40);
    expect(split.far).toBe(0);
  });

  it('blend 0 changes nothing; blend 0.5 changes the faces less than blend 1', async () => {
    const plain = await swap({});
    const none = await swap({ face_enhance: { blend: 0 } });
    expect(Buffer.compare(plain.px.data, none.px.data)).toBe(0);
    const faces = await facesOf(plain.px);
    const half = compare(plain.px, (await swap({ face_enhance: { blend: 0.5 } })).px, faces);
    const full = compare(plain.px, (await swap({ face_enhance: { blend: 1 } })).px, faces);
    expect(half.meanInFaces).toBeGreaterThan(10);
    expect(half.meanInFaces).toBeLessThan(0.7 * full.meanInFaces);
    expect(half.far).toBe(0);
  });

  it('CodeFormer gets fidelity as its weight: w = 1 keeps the face (test model: identity), w = 0 inverts it', async () => {
    const plain = await swap({});
    const faces = await facesOf(plain.px);
    const keep = await swap({ face_enhance: { model: 'codeformer', fidelity: 1 } });
    const invert = await swap({ face_enhance: { model: 'codeformer', fidelity: 0 } });
    expect(keep.meta.face_enhancer).toBe('codeformer');
    const k = compare(plain.px, keep.px, faces);
    const i = compare(plain.px, invert.px, faces);
    // w = 1 pastes the face back through two bilinear resamplings: a few levels at most.
    expect(k.meanInFaces).toBeLessThan(6);
    expect(i.meanInFaces).toBeGreaterThan(40);
    expect(k.far + i.far).toBe(0);
  });
});

describe('face_enhance in image_upscale', () => {
  it('enhances the faces found on the upscaled image; the rest of the image and its alpha are as without', async () => {
    const plain = await upscale({});
    const enhanced = await upscale({ face_enhance: { model: 'gfpgan-1.4' } });
    expect(enhanced.meta).toMatchObject({ width: 460, height: 460, face_enhancer: 'gfpgan-1.4', faces_enhanced: 1, detector: 'yunet' });
    expect(enhanced.px.channels).toBe(4);
    const faces = await facesOf(plain.px);
    expect(faces).toHaveLength(1);
    const split = compare(plain.px, enhanced.px, faces);
    expect(split.inFaces[0]).toBeGreaterThan(0.9);
    expect(split.meanInFaces).toBeGreaterThan(40);
    let alphaDiff = 0;
    for (let p = 3; p < plain.px.data.length; p += 4) alphaDiff += plain.px.data[p] !== enhanced.px.data[p] ? 1 : 0;
    expect(alphaDiff).toBe(0);
    // The face fills much of this small portrait: compare outside the crop the enhancer can reach.
    const [x1, y1, x2, y2] = faces[0].box;
    const reach = 1.5 * Math.max(x2 - x1, y2 - y1);
    let farDiff = 0;
    for (let y = 0; y < plain.px.height; y++) {
      for (let x = 0; x < plain.px.width; x++) {
        if (x > x1 - reach && x < x2 + reach && y > y1 - reach && y < y2 + reach) continue;
        const p = (y * plain.px.width + x) * 4;
        for (let c = 0; c < 3; c++) farDiff += plain.px.data[p + c] !== enhanced.px.data[p + c] ? 1 : 0;
      }
    }
    expect(farDiff).toBe(0);
  });

  it('an image without faces comes out as without face_enhance', async () => {
    const ctxA = pipelineContext(modelsDir, { env: UPSCALE_ENV });
    const ctxB = pipelineContext(modelsDir, { env: UPSCALE_ENV });
    const a = await runImageUpscale({ image_url: 'noface_rocket.jpg', scale_factor: 2 }, ctxA);
    const b = await runImageUpscale({ image_url: 'noface_rocket.jpg', scale_factor: 2, face_enhance: true }, ctxB);
    expect(b).toMatchObject({ faces_enhanced: 0, face_enhancer: 'gfpgan-1.4' });
    expect(Buffer.compare((await pixels(ctxA, a)).data, (await pixels(ctxB, b)).data)).toBe(0);
  });

  it('a named enhancer that is not installed fails the task as model_unavailable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backserv-enhance-none-'));
    symlinkSync(join(inject('testModelsDir'), 'realesrgan-x4plus'), join(dir, 'realesrgan-x4plus'), 'dir');
    const ctx = pipelineContext(dir, { env: UPSCALE_ENV });
    await expect(runImageUpscale({ image_url: 'lowres_bryan.png', face_enhance: { model: 'codeformer' } }, ctx))
      .rejects.toMatchObject({ code: 'model_unavailable', message: expect.stringMatching(/face_enhance: the face enhancer "codeformer" is not installed/) });
  });
});
