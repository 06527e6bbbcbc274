/**
 * Tiling is invisible: the stitched output of many padded tiles equals one untiled model run
 * (within 1/255), on the signature-exact test model and a real photo.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it, inject } from 'vitest';
import { fallbackKernels, loadKernels } from '../../src/native/index.js';
import { NORM_0_1 } from '../../src/native/types.js';
import { chooseTile, cropHwc, planTiles } from '../../src/pipelines/image-upscale/tiles.js';
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

  it('chooseTile: the whole image when it fits the memory budget, else the largest padded square that fits, split evenly', () => {
    const MiB = 1024 * 1024;
    // x4fast-class (1.5 KiB per input pixel), 1 GiB: a 512² image runs as one tile.
    expect(chooseTile(512, 512, 40, 1536, 1024 * MiB)).toBe(512);
    expect(chooseTile(1000, 300, 40, 1536, 1024 * MiB)).toBe(1000);
    // One run never takes more than 640² px (cancel and progress act between runs): 2048² in
    // padded tiles of ≤ 640² px, 2048 split in 4 → 512.
    const t = chooseTile(2048, 2048, 40, 1536, 1024 * MiB);
    expect(t).toBe(512);
    expect((t + 80) ** 2).toBeLessThanOrEqual(640 * 640);
    // A budget smaller than that bounds the tile: 256 MiB / 1.5 KiB = 174,762 px → 418 - 80 → 2048 in 7 → 296.
    expect(chooseTile(2048, 2048, 40, 1536, 256 * MiB)).toBe(296);
    // x4plus-class (17 KiB per pixel): small tiles; a smaller budget never grows the tile.
    const plus = chooseTile(512, 512, 40, 17408, 1024 * MiB);
    expect((plus + 80) ** 2 * 17408).toBeLessThanOrEqual(1024 * MiB);
    expect(chooseTile(512, 512, 40, 17408, 256 * MiB)).toBeLessThan(plus);
    // Never below 16 px, however small the budget.
    expect(chooseTile(4096, 4096, 40, 17408, MiB)).toBe(16);
    for (const [w, h] of [[3000, 17], [17, 3000], [1025, 1023]]) {
      const side = chooseTile(w, h, 40, 1536, 1024 * MiB);
      const n = Math.ceil(Math.max(w, h) / side);
      expect(Math.max(w, h) - (n - 1) * side).toBeGreaterThan(side / 2); // no thin last tile
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

  it('auto tile (null): a 192² photo within the budget runs as one tile, identical to one session run', async () => {
    const img = await photo(192, 192);
    const session = await sessions.get(modelPath());
    const tiled = await upscaleRgb(session, loadKernels(), img, { tile: null, pad: 40, maxOutputPixels: 1e8, memoryBytes: 256 * 1024 * 1024, memoryPerInputPixel: 1536 }, new AbortController().signal, () => {});
    expect(tiled.tiles).toBe(1);
    expect(Buffer.compare(Buffer.from(tiled.data), Buffer.from(await untiled(img)))).toBe(0);
    // The same image with a budget too small for it is tiled, and still matches within 1/255.
    const small = await upscaleRgb(session, loadKernels(), img, { tile: null, pad: 4, maxOutputPixels: 1e8, memoryBytes: 5000 * 1536, memoryPerInputPixel: 1536 }, new AbortController().signal, () => {});
    expect(small.tiles).toBeGreaterThan(1);
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
