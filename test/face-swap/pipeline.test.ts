/**
 * runFaceSwap called directly (as the worker does), with real YuNet detection and the
 * signature-exact test ArcFace/inswapper: which faces are swapped, failures, progress, cancel.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { runFaceSwap } from '../../src/pipelines/face-swap/index.js';
import { CancelledError, TaskError } from '../../src/tasks/task-errors.js';
import { photo, pipelineContext, yunetModelsDir } from './support.js';

const modelsDir = yunetModelsDir();

async function resultPixels(dir: string, file: string) {
  return sharp(readFileSync(join(dir, file))).raw().toBuffer({ resolveWithObject: true });
}

/** Per face box of the target: how many pixels changed inside it. */
async function changedPerBox(dir: string, file: string, target: string) {
  const before = await photo(target);
  const after = await resultPixels(dir, file);
  const { width } = before;
  return (boxes: [number, number, number, number][]) => boxes.map(([x1, y1, x2, y2]) => {
    let n = 0;
    for (let y = Math.ceil(y1); y < y2; y++) {
      for (let x = Math.ceil(x1); x < x2; x++) {
        const p = (y * width + x) * 3;
        if (before.data[p] !== after.data[p] || before.data[p + 1] !== after.data[p + 1] || before.data[p + 2] !== after.data[p + 2]) n++;
      }
    }
    return n / ((x2 - x1) * (y2 - y1));
  });
}

const GROUP_FACES: [number, number, number, number][] = [[135, 175, 165, 220], [275, 88, 305, 130], [420, 180, 450, 225]];

describe('runFaceSwap', () => {
  it('swaps every target face by default and reports progress per face', async () => {
    const steps: [number, number][] = [];
    const ctx = pipelineContext(modelsDir, { progress: (s, t) => steps.push([s, t]) });
    const meta = await runFaceSwap({ source_image: 'portrait_astronaut.jpg', target_image: 'group_apollo11.jpg' }, ctx);
    expect(meta).toMatchObject({ content_type: 'image/png', width: 600, height: 471, faces_swapped: 3, faces_in_target: 3, detector: 'yunet', model: 'inswapper-128' });
    expect(steps).toEqual([[0, 3], [1, 3], [2, 3], [3, 3]]);
    const frac = (await changedPerBox(ctx.resultsDir, meta.file, 'group_apollo11.jpg'))(GROUP_FACES);
    for (const f of frac) expect(f).toBeGreaterThan(0.8);
    for (const k of ['detect_ms', 'embed_ms', 'swap_ms', 'paste_back_ms']) expect(meta.timings?.[k]).toBeGreaterThanOrEqual(0);
  });

  it('target_face_index swaps that face only (left to right order)', async () => {
    const ctx = pipelineContext(modelsDir);
    const meta = await runFaceSwap({ source_image: 'portrait_astronaut.jpg', target_image: 'group_apollo11.jpg', target_face_index: 1 }, ctx);
    expect(meta.faces_swapped).toBe(1);
    const frac = (await changedPerBox(ctx.resultsDir, meta.file, 'group_apollo11.jpg'))(GROUP_FACES);
    expect(frac[0]).toBe(0);
    expect(frac[1]).toBeGreaterThan(0.8);
    expect(frac[2]).toBe(0);
  });

  it('a different source face gives a different result (the embedding reaches the swapper)', async () => {
    const a = pipelineContext(modelsDir);
    const b = pipelineContext(modelsDir);
    const base = { target_image: 'portrait_astronaut.jpg' };
    const ma = await runFaceSwap({ ...base, source_image: 'group_apollo11.jpg', source_face_index: 0 }, a);
    const mb = await runFaceSwap({ ...base, source_image: 'group_apollo11.jpg', source_face_index: 2 }, b);
    const pa = await resultPixels(a.resultsDir, ma.file);
    const pb = await resultPixels(b.resultsDir, mb.file);
    let diff = 0;
    for (let i = 0; i < pa.data.length; i++) diff += pa.data[i] !== pb.data[i] ? 1 : 0;
    expect(diff).toBeGreaterThan(1000);
  });

  it('keeps the alpha channel of an RGBA target', async () => {
    const ctx = pipelineContext(modelsDir);
    const meta = await runFaceSwap({ source_image: 'portrait_astronaut.jpg', target_image: 'lowres_bryan.png' }, ctx);
    const out = await resultPixels(ctx.resultsDir, meta.file);
    const src = await photo('lowres_bryan.png');
    expect(out.info.channels).toBe(4);
    let alphaDiff = 0;
    for (let i = 3; i < src.data.length; i += 4) alphaDiff += src.data[i] !== out.data[i] ? 1 : 0;
    expect(alphaDiff).toBe(0);
    expect(meta.faces_swapped).toBe(1);
  });

  it('fails with a message naming the image that has no face', async () => {
    const run = (source: string, target: string) => runFaceSwap({ source_image: source, target_image: target }, pipelineContext(modelsDir));
    await expect(run('noface_rocket.jpg', 'group_apollo11.jpg')).rejects.toThrow(new TaskError('no face found in source_image'));
    await expect(run('portrait_astronaut.jpg', 'noface_rocket.jpg')).rejects.toThrow(new TaskError('no face found in target_image'));
  });

  it('rejects face indices out of range with the number of faces found', async () => {
    const ctx = pipelineContext(modelsDir);
    await expect(runFaceSwap({ source_image: 'portrait_astronaut.jpg', target_image: 'group_apollo11.jpg', target_face_index: 3 }, ctx))
      .rejects.toThrow(/target_face_index 3 is out of range: target_image has 3 faces \(indices 0–2/);
    await expect(runFaceSwap({ source_image: 'portrait_astronaut.jpg', target_image: 'group_apollo11.jpg', source_face_index: 1 }, ctx))
      .rejects.toThrow(/source_face_index 1 is out of range: source_image has 1 face /);
  });

  it('stops between faces when cancelled, writing nothing', async () => {
    const abort = new AbortController();
    const steps: number[] = [];
    const ctx = pipelineContext(modelsDir, {
      signal: abort.signal,
      progress: (s) => {
        steps.push(s);
        if (s === 1) abort.abort();
      },
    });
    await expect(runFaceSwap({ source_image: 'portrait_astronaut.jpg', target_image: 'group_apollo11.jpg' }, ctx)).rejects.toBeInstanceOf(CancelledError);
    expect(steps).toEqual([0, 1]);
    expect(readdirSync(ctx.resultsDir)).toEqual([]);
  });

  it('reports model_unavailable without a swapper', async () => {
    const ctx = pipelineContext(join(modelsDir, 'nothing-here'));
    await expect(runFaceSwap({ source_image: 'portrait_astronaut.jpg', target_image: 'group_apollo11.jpg' }, ctx))
      .rejects.toMatchObject({ code: 'model_unavailable' });
  });
});
