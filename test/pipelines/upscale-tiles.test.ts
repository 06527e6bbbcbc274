/**
 * Tiling is invisible: the stitched output of many padded tiles equals one untiled model run
 * (within 1/255), on the signature-exact test model and a real photo.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it, inject } from 'vitest';
import { fallbackKernels, loadKernels } from '../../src/native/index.js';
import { NORM_0_1 } from '../../src/native/types.js';
import { cropHwc, planTiles } from '../../src/pipelines/image-upscale/tiles.js';
import { upscaleRgb } from '../../src/pipelines/image-upscale/upscale-rgb.js';
import { CancelledError } from '../../src/tasks/task-errors.js';
import { SessionCache, chooseDevice, tensor } from '../../src/runtime/index.js';
import { FIXTURES } from '../helpers/http.js';

const sessions = new SessionCache({ device: chooseDevice('cpu'), intraOpThreads: 1 });
const modelPath = () => join(inject('testModelsDir'), 'realesrgan-x4plus', 'model.onnx');

async function photo(w: number, h: number) {
  const { data, info } = await sharp(join(FIXTURES, 'images', 'group_apollo11.jpg'))
    .resize(w, h, { fit: 'cover' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 };
}

async function untiled(img: { data: Uint8Array; width: number; height: number; channels: number }) {
  const session = await sessions.get(modelPath());
  const k = fallbackKernels;
  const x = k.hwcToNchw(img.data, img.width, img.height, 3, NORM_0_1);
  const out = await session.run({ input: tensor('float32', x, [1, 3, img.height, img.width]) });
  const y = out.output;
  return k.nchwToHwc(y.data as Float32Array, img.width * 4, img.height * 4, 3, 255, 0);
}

describe('planTiles / cropHwc', () => {
  it('covers every pixel exactly once with cores, and pads are clipped to the image', () => {
    for (const [w, h, tile, pad] of [[1, 1, 32, 4], [100, 37, 32, 8], [64, 64, 64, 10], [257, 129, 128, 40]]) {
      const seen = new Uint8Array(w * h);
      for (const t of planTiles(w, h, tile, pad)) {
        expect(t.px).toBeGreaterThanOrEqual(0);
        expect(t.px + t.pw).toBeLessThanOrEqual(w);
        expect(t.x - t.px).toBeLessThanOrEqual(pad);
        for (let y = t.y; y < t.y + t.h; y++) for (let x = t.x; x < t.x + t.w; x++) seen[y * w + x]++;
      }
      expect(seen.every((v) => v === 1)).toBe(true);
    }
  });

  it('crops rows of an HWC image', () => {
    const src = Uint8Array.from({ length: 5 * 4 * 3 }, (_, i) => i);
    const out = cropHwc(src, 5, 3, 1, 2, 2, 2, new Uint8Array(100));
    expect([...out]).toEqual([33, 34, 35, 36, 37, 38, 48, 49, 50, 51, 52, 53]);
  });
});

describe('tiled upscale equals an untiled run', () => {
  it('one tile (image smaller than a tile): identical to a direct session run', async () => {
    const img = await photo(60, 44);
    const session = await sessions.get(modelPath());
    const tiled = await upscaleRgb(session, loadKernels(), img, { tile: 256, pad: 40, maxOutputPixels: 1e8 }, new AbortController().signal, () => {});
    expect(tiled.tiles).toBe(1);
    expect(tiled.scale).toBe(4);
    const ref = await untiled(img);
    expect(Buffer.compare(Buffer.from(tiled.data), Buffer.from(ref))).toBe(0);
  });

  it('many small tiles with padding ≥ the receptive field: within 1/255 of one run, progress per tile', async () => {
    const img = await photo(150, 97);
    const session = await sessions.get(modelPath());
    const progress: number[] = [];
    const tiled = await upscaleRgb(session, loadKernels(), img, { tile: 32, pad: 4, maxOutputPixels: 1e8 }, new AbortController().signal, (d) => progress.push(d));
    expect(tiled.tiles).toBe(5 * 4);
    expect(progress).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const ref = await untiled(img);
    let maxDiff = 0;
    for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref[i] - tiled.data[i]));
    expect(maxDiff).toBeLessThanOrEqual(1);
  });

  it('stops between tiles when the signal fires', async () => {
    const img = await photo(128, 128);
    const session = await sessions.get(modelPath());
    const ac = new AbortController();
    let tiles = 0;
    const run = upscaleRgb(session, loadKernels(), img, { tile: 16, pad: 2, maxOutputPixels: 1e8 }, ac.signal, (d) => {
      tiles = d;
      if (d === 3) ac.abort();
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(tiles).toBe(3);
  });

  it('refuses an output over the pixel cap before allocating it', async () => {
    const img = await photo(64, 64);
    const session = await sessions.get(modelPath());
    await expect(upscaleRgb(session, loadKernels(), img, { tile: 32, pad: 2, maxOutputPixels: 10_000 }, new AbortController().signal, () => {}))
      .rejects.toThrow(/output limit/);
  });
});
