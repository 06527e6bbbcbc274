/**
 * image_creation's editing modes and batches on the SD test models, through the real pipeline:
 * img2img strength ends, legacy inpainting (kept vs changed region), the 9-channel inpainting
 * UNet's exact inputs, outpainting, batch_size against single runs, and previews.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { buildInpaintingSdUnet } from '../support/test-models/sd.js';
import type { DecodedImage } from '../../src/imaging/decoded-image.js';
import { decodeLatents, encodeImage, openSdModel, randn, runImageCreation } from '../../src/pipelines/image-creation/index.js';
import { latentMask, maskBox, maskedImage, resizeRgb } from '../../src/pipelines/image-creation/edit-images.js';
import type { PipelineContext } from '../../src/pipelines/types.js';
import type { Tensor } from '../../src/runtime/index.js';
import { DT, GraphBuilder } from '../../src/models/convert/onnx-graph.js';
import { randomFloats, seededRandom } from '../support/random-weights.js';
import { fixtureImage } from '../helpers/http.js';
import { kernels, pipelineContext, sdFolders, sessions, type SdFolders } from './support.js';

let dirs: SdFolders;
let inpaintDir: string;
const images = new Map<string, DecodedImage>();
const signal = new AbortController().signal;

async function photo(size: number, w = size, h = size): Promise<DecodedImage> {
  const { data, info } = await sharp(fixtureImage('portrait_astronaut.jpg')).resize(w, h).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3, hasAlpha: false };
}

/** White (repaint) where `inside(x, y)`, else black. */
function mask(w: number, h: number, inside: (x: number, y: number) => boolean): DecodedImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (inside(x, y)) data.fill(255, (y * w + x) * 3, (y * w + x) * 3 + 3);
  return { data, width: w, height: h, channels: 3, hasAlpha: false };
}

beforeAll(async () => {
  dirs = await sdFolders();
  images.set('https://img.test/photo', await photo(128));
  images.set('https://img.test/other', await photo(128, 128, 128).then((p) => ({ ...p, data: p.data.map((v) => 255 - v) })));
  images.set('https://img.test/photo64', await photo(64));
  images.set('https://img.test/right-half', mask(128, 128, (x) => x >= 64));
  images.set('https://img.test/small-mask', mask(64, 64, (x) => x >= 32));
  // sd15 with its UNet swapped for the 9-channel inpainting signature.
  inpaintDir = mkdtempSync(join(tmpdir(), 'backserv-sd-inpaint-'));
  cpSync(join(dirs.main, 'sd15'), join(inpaintDir, 'sd15'), { recursive: true, dereference: true });
  writeFileSync(join(inpaintDir, 'sd15', 'unet', 'model.onnx'), buildInpaintingSdUnet());
});

interface Run {
  result: Record<string, unknown>;
  pixels: Buffer;
  width: number;
  height: number;
  ctx: PipelineContext;
}

async function pixelsOf(path: string) {
  return sharp(readFileSync(path)).raw().toBuffer({ resolveWithObject: true });
}

async function create(params: Record<string, unknown>, modelsDir = dirs.main, over: Partial<PipelineContext> = {}): Promise<Run> {
  const loadImage = async (ref: string, field: string) => {
    const img = images.get(ref);
    if (!img) throw new Error(`no test image ${ref} (${field})`);
    return img;
  };
  const ctx = pipelineContext(modelsDir, { loadImage, ...over });
  const result = await runImageCreation({ width: 128, height: 128, steps: 4, scheduler: 'euler', seed: 77, ...params }, ctx);
  const { data, info } = await pixelsOf(join(ctx.resultsDir, result.file));
  return { result, pixels: data, width: info.width, height: info.height, ctx };
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255) / (se / a.length));
}

/** The RGB pixels of columns [x0, x1) of an HWC image. */
function columns(data: Uint8Array, width: number, x0: number, x1: number): Uint8Array {
  const h = data.length / 3 / width;
  const out: number[] = [];
  for (let y = 0; y < h; y++) for (let x = x0; x < x1; x++) for (let c = 0; c < 3; c++) out.push(data[(y * width + x) * 3 + c]);
  return Uint8Array.from(out);
}

async function spyUnet(modelsDir: string, id: string) {
  const unet = await sessions.get(join(modelsDir, id, 'unet', 'model.onnx'));
  const samples: { dims: readonly number[]; data: Float32Array }[] = [];
  const original = unet.run.bind(unet);
  const spy = vi.spyOn(unet, 'run').mockImplementation(((feeds: Record<string, Tensor>, ...rest: unknown[]) => {
    samples.push({ dims: [...feeds.sample.dims], data: Float32Array.from(feeds.sample.data as Float32Array) });
    return (original as (...a: unknown[]) => ReturnType<typeof unet.run>)(feeds, ...rest);
  }) as typeof unet.run);
  return { samples, restore: () => spy.mockRestore() };
}

describe('img2img', () => {
  it('strength 0 returns the input through the VAE round trip', async () => {
    const run = await create({ prompt: 'a cat', init_image: 'https://img.test/photo', strength: 0 });
    const model = await openSdModel(sessions, kernels, 'sd-turbo', join(dirs.main, 'sd-turbo'));
    const img = images.get('https://img.test/photo') as DecodedImage;
    const round = await decodeLatents(model, await encodeImage(model, img), 128, 128, { signal });
    expect(Buffer.from(round.data).equals(run.pixels)).toBe(true);
    expect(run.result.mode).toBe('img2img');
  });

  it('strength 1 ignores the input: any init image gives the text-to-image picture', async () => {
    const a = await create({ prompt: 'a cat', init_image: 'https://img.test/photo', strength: 1 });
    const b = await create({ prompt: 'a cat', init_image: 'https://img.test/other', strength: 1 });
    const t = await create({ prompt: 'a cat' });
    expect(a.pixels.equals(b.pixels)).toBe(true);
    expect(a.pixels.equals(t.pixels)).toBe(true);
  });

  it('strength 0.5 stays closer to the input than strength 0.75, with every scheduler running half the steps', async () => {
    const img = images.get('https://img.test/photo') as DecodedImage;
    for (const scheduler of ['euler', 'euler_a', 'ddim', 'lcm', 'dpmpp_2m_karras']) {
      const steps: number[] = [];
      const half = await create({ prompt: 'a cat', init_image: 'https://img.test/photo', strength: 0.5, scheduler }, dirs.main, { progress: (s) => steps.push(s) });
      expect(steps.at(-1)).toBe(3); // 2 of 4 steps + the decode
      const more = await create({ prompt: 'a cat', init_image: 'https://img.test/photo', strength: 1, scheduler });
      expect(psnr(half.pixels, img.data), scheduler).toBeGreaterThan(psnr(more.pixels, img.data));
    }
  });
});

describe('editing helpers', () => {
  it('resize_mode: crop covers, fit letterboxes with black, stretch fills; all give width × height', async () => {
    const wide: DecodedImage = { data: new Uint8Array(64 * 32 * 3).fill(200), width: 64, height: 32, channels: 3, hasAlpha: false };
    const crop = await resizeRgb(wide, 32, 32, 'crop');
    const fit = await resizeRgb(wide, 32, 32, 'fit');
    const stretch = await resizeRgb(wide, 32, 32, 'stretch');
    for (const r of [crop, fit, stretch]) expect([r.width, r.height, r.data.length]).toEqual([32, 32, 32 * 32 * 3]);
    expect(crop.data.every((v) => v === 200)).toBe(true);
    expect(stretch.data.every((v) => v === 200)).toBe(true);
    // fit: 32×16 of picture centred, black bars of 8 rows above and below.
    expect(Array.from(fit.data.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(fit.data.subarray((16 * 32 + 16) * 3, (16 * 32 + 16) * 3 + 3))).toEqual([200, 200, 200]);
  });

  it('maskBox: the mask box plus padding, grown to the canvas aspect and kept inside it', () => {
    const m = { data: new Float32Array(128 * 64), width: 128, height: 64 };
    for (let y = 20; y < 30; y++) for (let x = 100; x < 110; x++) m.data[y * 128 + x] = 1;
    const box = maskBox(m, 4);
    expect(box).not.toBeNull();
    const b = box as NonNullable<typeof box>;
    expect(b.width / b.height).toBeCloseTo(2, 1);
    expect(b.x).toBeLessThanOrEqual(96);
    expect(b.x + b.width).toBeLessThanOrEqual(128);
    expect(b.y).toBeLessThanOrEqual(16);
    expect(b.y + b.height).toBeGreaterThanOrEqual(34);
    expect(maskBox({ ...m, data: new Float32Array(128 * 64) }, 4)).toBeNull();
  });

  it('inpainting_fill changes what the masked area starts from, never the kept area', async () => {
    const base = { prompt: 'a cat', init_image: 'https://img.test/photo', mask_image: 'https://img.test/right-half', mask_blur: 0, strength: 0.5 };
    const original = await create({ ...base, inpainting_fill: 'original' });
    const noise = await create({ ...base, inpainting_fill: 'latent_noise' });
    const fill = await create({ ...base, inpainting_fill: 'fill' });
    const right = (r: Run) => columns(r.pixels, 128, 64, 128);
    expect(psnr(right(original), right(noise))).toBeLessThan(40);
    expect(psnr(right(original), right(fill))).toBeLessThan(40);
    for (const r of [noise, fill]) expect(psnr(columns(r.pixels, 128, 0, 64), columns(original.pixels, 128, 0, 64))).toBe(Infinity);
  });
});

describe('VAE posterior', () => {
  it('an encoder giving [mean, logvar] is sampled with the seed (mean + e^(logvar/2)·randn), the mean without one', async () => {
    // A copy of sd-turbo whose encoder outputs 8 channels: the mean as before, logvar = log 0.25 (σ 0.5).
    const dir = mkdtempSync(join(tmpdir(), 'backserv-sd-posterior-'));
    cpSync(join(dirs.main, 'sd-turbo'), join(dir, 'sd-turbo'), { recursive: true, dereference: true });
    const g = new GraphBuilder('vae_encoder_posterior');
    const x = g.input('sample', DT.FLOAT, ['batch_size', 3, 'height', 'width']);
    const rand = seededRandom(7);
    const w = new Float32Array(8 * 3 * 64);
    w.set(randomFloats(rand, 4 * 3 * 64, 0.05));
    const bias = [0, 0, 0, 0, ...Array(4).fill(Math.log(0.25))];
    g.op('Conv', [x, g.floats(w, [8, 3, 8, 8]), g.floats(bias, [8])], { kernel_shape: [8, 8], strides: [8, 8] }, 'latent_parameters');
    g.output('latent_parameters', DT.FLOAT, ['batch_size', 8, 'height_latent', 'width_latent']);
    writeFileSync(join(dir, 'sd-turbo', 'vae_encoder', 'model.onnx'), g.encode());
    const model = await openSdModel(sessions, kernels, 'sd-turbo', join(dir, 'sd-turbo'));
    const img = images.get('https://img.test/photo64') as DecodedImage;
    const mean = await encodeImage(model, img);
    const sampled = await encodeImage(model, img, 123);
    const eps = randn(123, mean.length);
    for (let i = 0; i < mean.length; i++) expect(sampled[i]).toBeCloseTo(mean[i] + 0.5 * eps[i] * model.vaeScaling, 5);
    expect(Array.from(await encodeImage(model, img, 123))).toEqual(Array.from(sampled));
  });
});

describe('inpainting', () => {
  it('ordinary UNet (legacy blend): the unmasked half is the input pixel for pixel, the masked half changes', async () => {
    const run = await create({ prompt: 'a cat', init_image: 'https://img.test/photo', mask_image: 'https://img.test/right-half', strength: 1, mask_blur: 2 });
    const img = images.get('https://img.test/photo') as DecodedImage;
    expect(run.result.mode).toBe('inpaint');
    // Beyond the blur (σ 2 → ~3σ) the original comes back exactly.
    expect(psnr(columns(run.pixels, 128, 0, 56), columns(img.data, 128, 0, 56))).toBeGreaterThan(60);
    expect(psnr(columns(run.pixels, 128, 72, 128), columns(img.data, 128, 72, 128))).toBeLessThan(25);
  });

  it('a mask of another size than init_image fails after decoding, naming mask_image', async () => {
    await expect(create({ prompt: 'x', init_image: 'https://img.test/photo', mask_image: 'https://img.test/small-mask' })).rejects.toThrow(/mask_image is 64×64, init_image is 128×128/);
  });

  it('inpaint_full_res works on the mask box and still keeps everything outside the mask', async () => {
    const run = await create({ prompt: 'a cat', init_image: 'https://img.test/photo', mask_image: 'https://img.test/right-half', inpaint_full_res: true, padding: 8, mask_blur: 0, inpainting_fill: 'fill' });
    const img = images.get('https://img.test/photo') as DecodedImage;
    expect(psnr(columns(run.pixels, 128, 0, 64), columns(img.data, 128, 0, 64))).toBe(Infinity);
    expect(psnr(columns(run.pixels, 128, 64, 128), columns(img.data, 128, 64, 128))).toBeLessThan(30);
  });

  it('a 9-channel inpainting UNet gets exactly [latents, mask, masked-image latents]', async () => {
    const spy = await spyUnet(inpaintDir, 'sd15');
    let run: Run;
    try {
      run = await create({ prompt: 'a cat', init_image: 'https://img.test/photo', mask_image: 'https://img.test/right-half', mask_blur: 0, guidance_scale: 1, strength: 1 }, inpaintDir);
    } finally {
      spy.restore();
    }
    expect(run.result.mode).toBe('inpaint_unet');
    expect(spy.samples.length).toBe(4);
    const first = spy.samples[0];
    expect(first.dims).toEqual([1, 9, 16, 16]);
    const plane = 16 * 16;
    // Euler at strength 1: x = randn·σ_init and the scaled input x/√(σ²+1) is randn itself.
    const noise = randn(77, 4 * plane);
    for (let i = 0; i < 4 * plane; i++) expect(first.data[i]).toBeCloseTo(noise[i], 4);
    const img = images.get('https://img.test/photo') as DecodedImage;
    const m = { data: Float32Array.from({ length: 128 * 128 }, (_, i) => (i % 128 >= 64 ? 1 : 0)), width: 128, height: 128 };
    const lm = latentMask(m);
    expect(Array.from(first.data.subarray(4 * plane, 5 * plane))).toEqual(Array.from(lm));
    const model = await openSdModel(sessions, kernels, 'sd15', join(inpaintDir, 'sd15'));
    const masked = await encodeImage(model, { ...maskedImage({ data: img.data, width: 128, height: 128 }, m), channels: 3 });
    const fed = first.data.subarray(5 * plane, 9 * plane);
    for (let i = 0; i < masked.length; i++) expect(fed[i]).toBeCloseTo(masked[i], 5);
    // Every step feeds the same mask and masked latents.
    for (const s of spy.samples) expect(Array.from(s.data.subarray(4 * plane))).toEqual(Array.from(first.data.subarray(4 * plane)));
    const kept = columns((run as Run).pixels, 128, 0, 64);
    expect(psnr(kept, columns(img.data, 128, 0, 64))).toBe(Infinity);
  });
});

describe('outpainting', () => {
  it('grows the canvas by the border and keeps the original pixels', async () => {
    const run = await create({ prompt: 'a cat', init_image: 'https://img.test/photo64', width: 64, height: 64, strength: 1, outpaint: { left: 32, top: 16, right: 0, bottom: 8 } });
    expect([run.width, run.height]).toEqual([96, 88]);
    const img = images.get('https://img.test/photo64') as DecodedImage;
    const inner = new Uint8Array(64 * 64 * 3);
    for (let y = 0; y < 64; y++) inner.set(run.pixels.subarray(((y + 16) * 96 + 32) * 3, ((y + 16) * 96 + 96) * 3), y * 64 * 3);
    expect(psnr(inner, img.data)).toBe(Infinity);
    expect(run.result.images).toEqual([{ file: run.result.file, seed: 77, width: 96, height: 88 }]);
  });
});

describe('batch_size', () => {
  it('batch 4 equals four single runs with seeds s..s+3, in fewer UNet launches', async () => {
    for (const scheduler of ['euler_a', 'dpmpp_2m_karras']) {
      const spy = await spyUnet(dirs.main, 'sd15');
      let batch: Run;
      try {
        batch = await create({ prompt: 'a cat', negative_prompt: 'dog', guidance_scale: 5, batch_size: 4, scheduler, model: 'sd15' });
      } finally {
        spy.restore();
      }
      expect(spy.samples.length).toBe(4);
      expect(spy.samples[0].dims).toEqual([8, 4, 16, 16]);
      const list = batch.result.images as { file: string; seed: number; width: number; height: number }[];
      expect(list.map((i) => i.seed)).toEqual([77, 78, 79, 80]);
      expect(list[0].file).toBe(batch.result.file);
      for (let k = 0; k < 4; k++) {
        const single = await create({ prompt: 'a cat', negative_prompt: 'dog', guidance_scale: 5, seed: 77 + k, scheduler, model: 'sd15' });
        const mine = (await pixelsOf(join(batch.ctx.resultsDir, list[k].file))).data;
        let worst = 0;
        for (let i = 0; i < mine.length; i++) worst = Math.max(worst, Math.abs(mine[i] - single.pixels[i]));
        expect(worst, `${scheduler} image ${k}`).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe('previews', () => {
  it('writes <ticket>.preview.png every preview_every steps, at latent size, before the result exists', async () => {
    const seen: { file: string; step: number; size: [number, number]; resultThere: boolean }[] = [];
    const ctx = pipelineContext(dirs.main);
    ctx.preview = (file, step) => {
      const png = readFileSync(join(ctx.resultsDir, file));
      seen.push({ file, step, size: [png.readUInt32BE(16), png.readUInt32BE(20)], resultThere: existsSync(join(ctx.resultsDir, `${ctx.ticketId}.png`)) });
    };
    await runImageCreation({ prompt: 'a cat', width: 128, height: 96, steps: 6, scheduler: 'euler', seed: 1, preview_every: 2 }, ctx);
    // Steps 2 and 4 (not the last step: the result follows at once).
    expect(seen.map((s) => s.step)).toEqual([2, 4]);
    for (const s of seen) {
      expect(s.file).toBe(`${ctx.ticketId}.preview.png`);
      expect(s.size).toEqual([16, 12]);
      expect(s.resultThere).toBe(false);
    }
  });

  it('preview_every 0 writes none', async () => {
    const ctx = pipelineContext(dirs.main);
    let calls = 0;
    ctx.preview = () => calls++;
    await runImageCreation({ prompt: 'a cat', width: 64, height: 64, steps: 4, scheduler: 'euler', seed: 1, preview_every: 0 }, ctx);
    expect(calls).toBe(0);
    expect(existsSync(join(ctx.resultsDir, `${ctx.ticketId}.preview.png`))).toBe(false);
  });
});
