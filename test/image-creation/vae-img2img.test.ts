/**
 * The lower-level API video_creation builds on: tiled VAE decode against a whole decode, and
 * img2img (encodeImage → generateLatents with strength) on the SD test models.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodeLatents,
  encodeImage,
  encodePrompt,
  generateLatents,
  openSdModel,
  randn,
  tileStarts,
  type SdModel,
} from '../../src/pipelines/image-creation/index.js';
import { fixtureImage } from '../helpers/http.js';
import { kernels, sdFolders, sessions } from './support.js';

let turbo: SdModel;
const signal = new AbortController().signal;

beforeAll(async () => {
  const dirs = await sdFolders();
  turbo = await openSdModel(sessions, kernels, 'sd-turbo', join(dirs.main, 'sd-turbo'));
});

describe('VAE decode tiling', () => {
  it('tile origins cover the axis with at least the overlap between neighbours', () => {
    expect(tileStarts(63, 64, 8)).toEqual([0]);
    expect(tileStarts(80, 64, 8)).toEqual([0, 16]);
    expect(tileStarts(128, 64, 8)).toEqual([0, 56, 64]);
    expect(tileStarts(120, 64, 8)).toEqual([0, 56]);
  });

  it('a tiled decode matches the whole decode up to small seam differences', async () => {
    const lw = 40;
    const lh = 32;
    const latents = randn(5, 4 * lw * lh);
    for (let i = 0; i < latents.length; i++) latents[i] *= 0.18215 * 0.8;
    const whole = await decodeLatents(turbo, latents, lw * 8, lh * 8, { signal });
    const tiles: number[] = [];
    const tiled = await decodeLatents(turbo, latents, lw * 8, lh * 8, { signal, tiling: { tile: 24, overlap: 8 }, onTile: (d) => tiles.push(d) });
    expect(whole.tiles).toBe(1);
    expect(tiled.tiles).toBe(2 * 2); // x from 0 and 16, y from 0 and 8
    expect(tiles).toEqual([1, 2, 3, 4]);
    let sum = 0;
    let far = 0;
    for (let i = 0; i < whole.data.length; i++) {
      const d = Math.abs(whole.data[i] - tiled.data[i]);
      sum += d;
      if (d > 3) far++;
    }
    expect(sum / whole.data.length).toBeLessThan(0.5);
    expect(far / whole.data.length).toBeLessThan(0.01);
  });
});

describe('img2img', () => {
  async function photoLatents(size: number) {
    const { data, info } = await sharp(fixtureImage('portrait_astronaut.jpg')).resize(size, size).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return encodeImage(turbo, { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 });
  }

  it('encodes an image to [1,4,h/8,w/8] latents scaled by 0.18215', async () => {
    const z = await photoLatents(128);
    expect(z.length).toBe(4 * 16 * 16);
    expect(z.every(Number.isFinite)).toBe(true);
  });

  it('strength runs the last ⌊steps·strength⌋ steps and keeps more of the image when lower', async () => {
    const init = await photoLatents(128);
    const prompt = await encodePrompt(turbo, 'an astronaut', '', false);
    const distance = async (strength: number) => {
      const progress: [number, number][] = [];
      const out = await generateLatents(turbo, prompt, {
        width: 128, height: 128, steps: 4, guidanceScale: 0, scheduler: 'euler', seed: 3, signal,
        init: { latents: init, strength }, onStep: (d, t) => void progress.push([d, t]),
      });
      expect(out.stepsRun).toBe(Math.floor(4 * strength));
      expect(progress.at(-1)).toEqual([out.stepsRun, out.stepsRun]);
      let d = 0;
      for (let i = 0; i < init.length; i++) d += (out.latents[i] - init[i]) ** 2;
      return Math.sqrt(d / init.length);
    };
    const low = await distance(0.25);
    const high = await distance(1);
    expect(low).toBeLessThan(high);
    await expect(generateLatents(turbo, prompt, { width: 128, height: 128, steps: 2, guidanceScale: 0, scheduler: 'euler', seed: 3, signal, init: { latents: init, strength: 0.2 } }))
      .rejects.toThrow(/steps × strength/);
  });

  it('explicit starting noise replaces randn(seed)', async () => {
    const prompt = await encodePrompt(turbo, 'a cat', '', false);
    const base = { width: 64, height: 64, steps: 1, guidanceScale: 0, scheduler: 'euler' as const, seed: 9, signal };
    const a = await generateLatents(turbo, prompt, base);
    const b = await generateLatents(turbo, prompt, { ...base, noise: randn(9, 4 * 8 * 8) });
    const c = await generateLatents(turbo, prompt, { ...base, noise: randn(10, 4 * 8 * 8) });
    expect(Array.from(b.latents)).toEqual(Array.from(a.latents));
    expect(Array.from(c.latents)).not.toEqual(Array.from(a.latents));
  });

  it('reads the pad id from the tokenizer config: 0 for sd-turbo', () => {
    expect(turbo.tokenizer.padId).toBe(0);
    expect(Array.from(turbo.tokenizer.encodePadded('a photo of a cat').slice(0, 9))).toEqual([49406, 320, 1125, 539, 320, 2368, 49407, 0, 0]);
  });
});
