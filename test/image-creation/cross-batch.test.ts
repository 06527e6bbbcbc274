/**
 * Cross-request batching in the pipeline (runImageCreationBatch) on the SD test models: several
 * requests with their own prompts, negative prompts, seeds, guidance values and batch sizes share
 * one UNet batch, and each member's images equal its run alone; a member cancelled mid-run leaves
 * (no file) while the others finish with their solo pictures.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { runImageCreation } from '../../src/pipelines/image-creation/index.js';
import { runImageCreationBatch } from '../../src/pipelines/image-creation/batch.js';
import { batchKeyOf } from '../../src/pipelines/batch-key.js';
import type { PipelineContext } from '../../src/pipelines/types.js';
import type { Tensor } from '../../src/runtime/index.js';
import { pipelineContext, sdFolders, sessions, type SdFolders } from './support.js';

let dirs: SdFolders;
beforeAll(async () => {
  dirs = await sdFolders();
});

const BASE = { width: 128, height: 128, steps: 4, model: 'sd15' };

async function rgb(path: string): Promise<Buffer> {
  return (await sharp(readFileSync(path)).raw().toBuffer({ resolveWithObject: true })).data;
}

function worst(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]));
  return w;
}

async function unetBatches(): Promise<{ dims: number[][]; restore(): void }> {
  const unet = await sessions.get(join(dirs.main, 'sd15', 'unet', 'model.onnx'));
  const dims: number[][] = [];
  const original = unet.run.bind(unet);
  const spy = vi.spyOn(unet, 'run').mockImplementation(((feeds: Record<string, Tensor>, ...rest: unknown[]) => {
    dims.push([...feeds.sample.dims]);
    return (original as (...a: unknown[]) => ReturnType<typeof unet.run>)(feeds, ...rest);
  }) as typeof unet.run);
  return { dims, restore: () => spy.mockRestore() };
}

describe('batch key', () => {
  it('matches across per-member fields, differs on shared ones, and is absent for edit tasks and other types', () => {
    const a = batchKeyOf('image_creation', { ...BASE, prompt: 'a cat', seed: 1, guidance_scale: 5 });
    const b = batchKeyOf('image_creation', { prompt: 'a dog', negative_prompt: 'x', seed: 9, guidance_scale: 8, batch_size: 3, ...BASE });
    expect(a?.key).toBe(b?.key);
    expect([a?.images, b?.images]).toEqual([1, 3]);
    for (const other of [{ steps: 5 }, { width: 136 }, { scheduler: 'euler' }, { model: 'sd-turbo' }, { guidance_scale: 1 }]) {
      expect(batchKeyOf('image_creation', { ...BASE, prompt: 'a cat', guidance_scale: 5, ...other })?.key, JSON.stringify(other)).not.toBe(a?.key);
    }
    expect(batchKeyOf('image_creation', { ...BASE, prompt: 'a cat', init_image: 'https://img.test/x' })).toBeNull();
    expect(batchKeyOf('image_creation', { ...BASE, prompt: 'a cat', loras: [{ id: 'x', weight: 1 }] })).toBeNull();
    expect(batchKeyOf('image_upscale', { image: 'https://img.test/x' })).toBeNull();
  });
});

describe('runImageCreationBatch', () => {
  const members = [
    { prompt: 'a cat', negative_prompt: 'dog', seed: 11, guidance_scale: 5, scheduler: 'euler_a' },
    { prompt: 'a red house by the sea', seed: 500, guidance_scale: 9, batch_size: 2, scheduler: 'euler_a' },
    { prompt: 'mountains', negative_prompt: 'blur', seed: 7, guidance_scale: 2.5, scheduler: 'euler_a' },
  ].map((p) => ({ ...BASE, ...p }));

  it('runs three requests as one UNet batch and each equals its run alone', async () => {
    const ctxs = members.map(() => pipelineContext(dirs.main));
    const spy = await unetBatches();
    let out;
    try {
      out = await runImageCreationBatch(members, ctxs);
    } finally {
      spy.restore();
    }
    // One guided run of 4 images per step: [8, 4, 16, 16].
    expect(spy.dims).toHaveLength(4);
    expect(spy.dims[0]).toEqual([8, 4, 16, 16]);
    for (let m = 0; m < members.length; m++) {
      const r = out[m];
      expect(r.ok, `member ${m}`).toBe(true);
      if (!r.ok) continue;
      const alone = pipelineContext(dirs.main);
      const solo = await runImageCreation(members[m], alone);
      const mine = r.result.images as { file: string; seed: number }[];
      expect(mine.map((i) => i.seed)).toEqual((solo.images as { seed: number }[]).map((i) => i.seed));
      expect(mine[0].file).toBe(`${ctxs[m].ticketId}.png`);
      for (let k = 0; k < mine.length; k++) {
        const soloFile = (solo.images as { file: string }[])[k].file;
        expect(worst(await rgb(join(ctxs[m].resultsDir, mine[k].file)), await rgb(join(alone.resultsDir, soloFile))), `member ${m} image ${k}`).toBeLessThanOrEqual(1);
      }
      expect(r.result.batched).toEqual({ members: 3, images: 4 });
    }
  });

  it('a member cancelled mid-run leaves with no file; the others finish as they would alone', async () => {
    const abort = new AbortController();
    const ctxs: PipelineContext[] = members.map((_, i) => pipelineContext(dirs.main, i === 1 ? {
      signal: abort.signal,
      progress: (step) => { if (step === 2) abort.abort(); },
    } : {}));
    const seen: number[] = [];
    ctxs[0].progress = (step) => seen.push(step);
    const out = await runImageCreationBatch(members, ctxs);
    expect(out[1].ok).toBe(false);
    expect(readdirSync(ctxs[1].resultsDir).filter((f) => f.endsWith('.png'))).toEqual([]);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    for (const m of [0, 2]) {
      const r = out[m];
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      const alone = pipelineContext(dirs.main);
      const solo = await runImageCreation(members[m], alone);
      expect(existsSync(join(ctxs[m].resultsDir, r.result.file))).toBe(true);
      expect(worst(await rgb(join(ctxs[m].resultsDir, r.result.file)), await rgb(join(alone.resultsDir, solo.file)))).toBeLessThanOrEqual(1);
    }
  });

  it('LCM: each row gets its own guidance embedding, equal to its run alone', async () => {
    const lcm = [
      { prompt: 'a cat', seed: 3, guidance_scale: 2 },
      { prompt: 'a dog', seed: 4, guidance_scale: 9 },
    ].map((p) => ({ ...BASE, model: 'lcm-dreamshaper-v7', ...p }));
    const ctxs = lcm.map(() => pipelineContext(dirs.main));
    const out = await runImageCreationBatch(lcm, ctxs);
    for (let m = 0; m < lcm.length; m++) {
      const r = out[m];
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      expect(r.result.batched).toEqual({ members: 2, images: 2 });
      const alone = pipelineContext(dirs.main);
      const solo = await runImageCreation(lcm[m], alone);
      expect(worst(await rgb(join(ctxs[m].resultsDir, r.result.file)), await rgb(join(alone.resultsDir, solo.file))), `member ${m}`).toBeLessThanOrEqual(1);
    }
  });

  it('a member whose defaults resolve to another shape runs alone in the same call', async () => {
    const ctxs = [pipelineContext(dirs.main), pipelineContext(dirs.main)];
    const out = await runImageCreationBatch([{ ...members[0] }, { ...members[2], steps: 3 }], ctxs);
    expect(out.map((r) => r.ok)).toEqual([true, true]);
    if (out[1].ok) expect(out[1].result.batched).toBeUndefined();
  });
});
