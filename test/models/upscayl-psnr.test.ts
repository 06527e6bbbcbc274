/**
 * The converted realesrgan-x4fast against upscayl-bin (same package, same weights, ncnn on
 * Vulkan) on a real photo. upscayl-bin on a software Vulkan writes some wrapped, bright-green
 * values at strong edges, so the PSNR is taken over the values within 48 levels and the outliers
 * are counted and bounded separately. Skipped where upscayl-bin cannot start (no libvulkan).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { compareImages } from '../support/image-compare.js';
import { convertUpscaylModel } from '../../src/models/convert/ncnn-to-onnx.js';
import { findUpscaylBin } from '../../src/models/convert/upscayl-files.js';
import { chooseDevice, SessionCache, tensor } from '../../src/runtime/index.js';

const IMAGE = new URL('../fixtures/images/lowres_bryan.png', import.meta.url).pathname;

function upscaylRuns(): boolean {
  try {
    execFileSync(findUpscaylBin().bin, ['-h'], { stdio: 'pipe', timeout: 10_000 });
    return true;
  } catch (err) {
    // -h exits non-zero on some builds but only after loading; a missing library fails earlier.
    return !String((err as { stderr?: Buffer }).stderr ?? '').includes('error while loading shared libraries');
  }
}

const dir = mkdtempSync(join(tmpdir(), 'backserv-upscayl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!upscaylRuns())('converted realesrgan-x4fast vs upscayl-bin', () => {
  it('agrees to >= 35 dB PSNR on lowres_bryan.png (outliers counted)', async () => {
    const { bin, modelDir } = findUpscaylBin();
    const refPath = join(dir, 'ref.png');
    const upscayl = promisify(execFile)(bin, ['-i', IMAGE, '-o', refPath, '-m', modelDir, '-n', 'realesrgan-x4fast', '-s', '4'], { timeout: 170_000 });

    const model = join(dir, 'model.onnx');
    writeFileSync(model, convertUpscaylModel('realesrgan-x4fast'));
    const { data, info } = await sharp(IMAGE).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const { width: w, height: h } = info;
    const x = new Float32Array(3 * w * h);
    for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) x[c * w * h + i] = data[i * 3 + c] / 255;
    const cache = new SessionCache({ device: chooseDevice('cpu'), intraOpThreads: 1 });
    const y = (await (await cache.get(model)).run({ input: tensor('float32', x, [1, 3, h, w]) })).output.data as Float32Array;
    cache.clear();
    const W = 4 * w;
    const H = 4 * h;
    const mine = new Uint8Array(W * H * 3);
    for (let i = 0; i < W * H; i++) for (let c = 0; c < 3; c++) mine[i * 3 + c] = Math.round(Math.min(1, Math.max(0, y[c * W * H + i])) * 255);

    await upscayl;
    const ref = await sharp(refPath).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([ref.info.width, ref.info.height]).toEqual([W, H]);
    const stats = compareImages(mine, new Uint8Array(ref.data), W, H, 3);
    // Measured here: 50.5 dB over inliers, 0.19% outliers, 55.8 dB away from the borders.
    expect(stats.psnrInliers).toBeGreaterThanOrEqual(35);
    expect(stats.outlierFraction).toBeLessThan(0.01);
    expect(stats.psnrInterior).toBeGreaterThanOrEqual(45);
  }, 180_000);
});
