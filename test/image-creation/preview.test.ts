/**
 * Live previews' latent → RGB maps: SD 1.x/2.x and SDXL have their own factors (and SDXL a bias),
 * a known latent gives the expected pixel under each, and an SDXL model's preview is its latents
 * through the SDXL map (read back from the PNG against the latents the UNet saw next, with DDIM,
 * whose model input is the latents unscaled). The PNG's stored deflate blocks read back with zlib;
 * the queue keeps at most one preview in flight.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import zlib from 'node:zlib';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { pngRowBytes, storedRgbPng } from '../../src/imaging/stored-png.js';
import { runImageCreation } from '../../src/pipelines/image-creation/index.js';
import { latentRgbMap, latentsToRgb, SD_LATENT_RGB, SDXL_LATENT_RGB } from '../../src/pipelines/image-creation/preview.js';
import { PreviewQueue } from '../../src/pipelines/image-creation/preview-queue.js';
import type { Tensor } from '../../src/runtime/index.js';
import { makeTestModels } from '../support/make-test.js';
import { pipelineContext, sessions } from './support.js';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'backserv-preview-models-'));
  await makeTestModels(dir, ['sdxl-turbo']);
});

/** One latent pixel (channels c0..c3) through a map, as bytes. */
const pixel = (map: typeof SD_LATENT_RGB, l: number[]) => [...latentsToRgb(Float32Array.from(l), 1, 1, map)];

describe('preview latent → RGB', () => {
  it('SDXL has its own factors and bias: known latents give the expected pixels', () => {
    expect(latentRgbMap(true)).toBe(SDXL_LATENT_RGB);
    expect(latentRgbMap(false)).toBe(SD_LATENT_RGB);
    // Zero latents: SDXL's bias (0.1084, −0.0175, −0.0011) → (v + 1)·127.5; SD's mid grey.
    expect(pixel(SDXL_LATENT_RGB, [0, 0, 0, 0])).toEqual([141, 125, 127]);
    expect(pixel(SD_LATENT_RGB, [0, 0, 0, 0])).toEqual([128, 128, 128]);
    // Channel 0 alone: SDXL row 0 (0.3651, 0.4232, 0.4341) plus the bias; SD row 0 (0.298, 0.207, 0.208).
    expect(pixel(SDXL_LATENT_RGB, [1, 0, 0, 0])).toEqual([188, 179, 183]);
    expect(pixel(SD_LATENT_RGB, [1, 0, 0, 0])).toEqual([165, 154, 154]);
    // Channel 3 at −1 (SDXL row 3: −0.3165, −0.2492, −0.2188) and clamping past 255 / below 0.
    expect(pixel(SDXL_LATENT_RGB, [0, 0, 0, -1])).toEqual([182, 157, 155]);
    expect(pixel(SDXL_LATENT_RGB, [9, 0, 0, 0])).toEqual([255, 255, 255]);
    expect(pixel(SDXL_LATENT_RGB, [-9, 0, 0, 0])).toEqual([0, 0, 0]);
  });

  it('an SDXL model\'s preview is its latents through the SDXL map', async () => {
    const unet = await sessions.get(join(dir, 'sdxl-turbo', 'unet', 'model.onnx'));
    const samples: Float32Array[] = [];
    const original = unet.run.bind(unet);
    const spy = vi.spyOn(unet, 'run').mockImplementation(((feeds: Record<string, Tensor>, ...rest: unknown[]) => {
      samples.push(Float32Array.from(feeds.sample.data as Float32Array));
      return (original as (...a: unknown[]) => ReturnType<typeof unet.run>)(feeds, ...rest);
    }) as typeof unet.run);
    const previews: Buffer[] = [];
    const ctx = pipelineContext(dir);
    ctx.preview = (file) => previews.push(readFileSync(join(ctx.resultsDir, file)));
    try {
      await runImageCreation({ prompt: 'a lighthouse', width: 64, height: 64, steps: 2, scheduler: 'ddim', guidance_scale: 0, seed: 4, preview_every: 1 }, ctx);
    } finally {
      spy.mockRestore();
    }
    expect(previews).toHaveLength(1);
    expect(samples).toHaveLength(2);
    const { data, info } = await sharp(previews[0]).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([8, 8, 3]);
    // DDIM feeds the UNet the latents as they are: step 2's input is what step 1's preview showed.
    expect([...data]).toEqual([...latentsToRgb(samples[1], 8, 8, SDXL_LATENT_RGB)]);
    expect([...data]).not.toEqual([...latentsToRgb(samples[1], 8, 8, SD_LATENT_RGB)]);
  });

  it('writes PNGs with stored deflate blocks that zlib and sharp read back (block boundaries, checksums)', async () => {
    // One stored block (1×1, 64×64), two (127×172: 65704 row bytes) and three (300×200).
    for (const [w, h] of [[1, 1], [127, 172], [64, 64], [300, 200]]) {
      const rows = Uint8Array.from({ length: pngRowBytes(w, h) }, (_, i) => (i % (w * 3 + 1) === 0 ? 0 : (i * 131 + (i >> 8)) & 255));
      const png = storedRgbPng(rows, w, h);
      const idat = png.indexOf('IDAT', 0, 'latin1');
      // inflateSync checks the Adler-32 trailer; sharp (libpng) checks every chunk's CRC.
      expect(zlib.inflateSync(png.subarray(idat + 4, idat + 4 + png.readUInt32BE(idat - 4))).equals(Buffer.from(rows)), `${w}×${h}`).toBe(true);
      const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height, info.channels]).toEqual([w, h, 3]);
      const pixels = Buffer.concat(Array.from({ length: h }, (_, y) => rows.subarray(y * (w * 3 + 1) + 1, (y + 1) * (w * 3 + 1))));
      expect(data.equals(pixels), `${w}×${h}`).toBe(true);
    }
  });

  it('keeps one preview in flight; one offered meanwhile waits and a newer one replaces it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'backserv-preview-queue-'));
    const written: number[] = [];
    const q = new PreviewQueue(out, 't', { lw: 2, lh: 2 }, SD_LATENT_RGB, (_file, step) => written.push(step));
    const latents = new Float32Array(16);
    q.offer(latents, 1);
    q.offer(latents, 2);
    q.offer(latents, 3);
    await q.drain();
    expect(written).toEqual([1, 3]);
    const { info } = await sharp(readFileSync(join(out, 't.preview.png'))).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([2, 2]);
  });
});
