/**
 * image_creation end to end on the SD test models through the real pipeline (tokenizer, text
 * encoder, schedulers, UNet, VAE, PNG): determinism, guidance, progress, cancel, sizes,
 * every scheduler, and the other exports' dtypes (fp16 I/O, int64 ids, scalar timestep).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { readTextChunks } from '../../src/imaging/png-text.js';
import { runImageCreation } from '../../src/pipelines/image-creation/index.js';
import { SCHEDULER_NAMES } from '../../src/pipelines/image-creation/schedulers/index.js';
import { type PipelineContext } from '../../src/pipelines/types.js';
import { CancelledError } from '../../src/tasks/task-errors.js';
import type { Tensor } from '../../src/runtime/index.js';
import { pipelineContext, sdFolders, sessions, type SdFolders } from './support.js';

let dirs: SdFolders;
beforeAll(async () => {
  dirs = await sdFolders();
});

interface Run {
  result: Record<string, unknown>;
  bytes: Buffer;
  pixels: Buffer;
  width: number;
  height: number;
  channels: number;
}

async function create(params: Record<string, unknown>, modelsDir = dirs.main, over: Partial<PipelineContext> = {}): Promise<Run> {
  const ctx = pipelineContext(modelsDir, over);
  const result = await runImageCreation({ width: 128, height: 128, ...params }, ctx);
  const bytes = readFileSync(join(ctx.resultsDir, result.file));
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  return { result, bytes, pixels: data, width: info.width, height: info.height, channels: info.channels };
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d += Math.abs(a[i] - b[i]);
  return d / a.length;
}

function stdDev(a: Uint8Array): number {
  let s = 0;
  let s2 = 0;
  for (const v of a) {
    s += v;
    s2 += v * v;
  }
  const m = s / a.length;
  return Math.sqrt(s2 / a.length - m * m);
}

/** Records every run of a model's UNet session (batch size of `sample`) and lets a test act mid-run. */
async function spyUnet(modelsDir: string, id: string, during?: (runIndex: number) => void) {
  const unet = await sessions.get(join(modelsDir, id, 'unet', 'model.onnx'));
  const batches: number[] = [];
  const original = unet.run.bind(unet);
  const spy = vi.spyOn(unet, 'run').mockImplementation(((feeds: Record<string, Tensor>, ...rest: unknown[]) => {
    batches.push(feeds.sample.dims[0]);
    during?.(batches.length);
    return (original as (...a: unknown[]) => ReturnType<typeof unet.run>)(feeds, ...rest);
  }) as typeof unet.run);
  return { batches, restore: () => spy.mockRestore() };
}

describe('image_creation pipeline (sd-turbo test model)', () => {
  it('same seed → identical PNG bytes; another seed → different pixels', async () => {
    const a = await create({ prompt: 'a photo of a cat', seed: 1234 });
    const b = await create({ prompt: 'a photo of a cat', seed: 1234 });
    const c = await create({ prompt: 'a photo of a cat', seed: 1235 });
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(meanAbsDiff(a.pixels, c.pixels)).toBeGreaterThan(1);
    // A real picture, not a flat or saturated field.
    expect(stdDev(a.pixels)).toBeGreaterThan(5);
  });

  it('applies the sd-turbo defaults and returns the metadata in the result and the PNG text', async () => {
    const progress: [number, number][] = [];
    const r = await create({ prompt: 'Hello, world!', negative_prompt: 'blurry' }, dirs.main, { progress: (s, t) => progress.push([s, t]) });
    expect(r.result).toMatchObject({ content_type: 'image/png', width: 128, height: 128, steps: 1, scheduler: 'euler', guidance_scale: 0, cfg: false, model: 'sd-turbo' });
    const seed = r.result.seed as number;
    expect(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32).toBe(true);
    const timings = r.result.timings as Record<string, number>;
    for (const k of ['encode_ms', 'step_ms', 'decode_ms', 'total_ms']) expect(timings[k]).toBeGreaterThanOrEqual(0);
    expect(timings.total_ms).toBeGreaterThanOrEqual(timings.decode_ms + timings.encode_ms);
    expect(readTextChunks(r.bytes)).toMatchObject({
      prompt: 'Hello, world!',
      negative_prompt: 'blurry',
      seed: String(seed),
      steps: '1',
      scheduler: 'euler',
      guidance_scale: '0',
      model: 'sd-turbo',
    });
    expect(progress).toEqual([[0, 2], [1, 2], [2, 2]]);
    // The random seed it reports reproduces the image.
    const again = await create({ prompt: 'Hello, world!', negative_prompt: 'blurry', seed });
    expect(again.bytes.equals(r.bytes)).toBe(true);
  });

  it('the prompt matters: another prompt, another image', async () => {
    const a = await create({ prompt: 'a photo of a cat', seed: 7 });
    const b = await create({ prompt: 'an oil painting of a dog', seed: 7 });
    expect(meanAbsDiff(a.pixels, b.pixels)).toBeGreaterThan(0.5);
  });

  it('504×640 (multiple of 8, not of 64) gives a 504-wide, 640-high image, decoded in VAE tiles', async () => {
    const r = await create({ prompt: 'a tall picture', width: 504, height: 640, seed: 3 });
    expect([r.width, r.height, r.channels]).toEqual([504, 640, 3]);
    expect(r.result).toMatchObject({ width: 504, height: 640 });
    expect(r.result.vae_tiles).toBe(2); // 63×80 latents: one column, two rows of 64
    expect(stdDev(r.pixels)).toBeGreaterThan(5);
  });
});

describe('classifier-free guidance (sd15 test model)', () => {
  it('negative_prompt changes the image when guidance > 1, via ONE UNet run of batch 2 per step', async () => {
    const spy = await spyUnet(dirs.main, 'sd15');
    try {
      const base = { prompt: 'a castle on a hill', model: 'sd15', steps: 3, guidance_scale: 7.5, seed: 11 };
      const a = await create(base);
      expect(spy.batches).toEqual([2, 2, 2]);
      const b = await create({ ...base, negative_prompt: 'fog, people' });
      expect(a.result).toMatchObject({ cfg: true, scheduler: 'dpmpp_2m_karras' });
      expect(meanAbsDiff(a.pixels, b.pixels)).toBeGreaterThan(0.5);
    } finally {
      spy.restore();
    }
  });

  it('guidance ≤ 1 skips CFG: batch-1 runs, and negative_prompt has no effect', async () => {
    const spy = await spyUnet(dirs.main, 'sd15');
    try {
      const base = { prompt: 'a castle on a hill', model: 'sd15', steps: 2, guidance_scale: 1, seed: 11 };
      const a = await create(base);
      const b = await create({ ...base, negative_prompt: 'fog, people' });
      expect(spy.batches).toEqual([1, 1, 1, 1]);
      // Same pixels (the PNGs differ only in their negative_prompt text chunk).
      expect(a.pixels.equals(b.pixels)).toBe(true);
    } finally {
      spy.restore();
    }
  });

  it('sd15 defaults: 25 steps of DPM++ 2M Karras at guidance 7.5; progress is monotonic to steps + 1', async () => {
    const progress: [number, number][] = [];
    const r = await create({ prompt: 'x', model: 'sd15', width: 64, height: 64, seed: 5 }, dirs.main, { progress: (s, t) => progress.push([s, t]) });
    expect(r.result).toMatchObject({ steps: 25, guidance_scale: 7.5, scheduler: 'dpmpp_2m_karras', cfg: true });
    expect(progress.map(([s]) => s)).toEqual(Array.from({ length: 27 }, (_, i) => i));
    expect(progress.every(([, t]) => t === 26)).toBe(true);
  });
});

describe('every scheduler end to end', () => {
  it.each(SCHEDULER_NAMES.map((s) => [s]))('%s on sd15 (4 steps, CFG) gives a distinct, finite image', async (scheduler) => {
    const r = await create({ prompt: 'a lighthouse', model: 'sd15', scheduler, steps: 4, guidance_scale: 5, seed: 21 });
    expect(r.result).toMatchObject({ scheduler, steps: 4 });
    expect(stdDev(r.pixels)).toBeGreaterThan(3);
  });

  it('schedulers differ from one another', async () => {
    const images = await Promise.all(SCHEDULER_NAMES.map((scheduler) => create({ prompt: 'a lighthouse', model: 'sd15', scheduler, steps: 4, guidance_scale: 5, seed: 21 })));
    for (let i = 0; i < images.length; i++) {
      for (let j = i + 1; j < images.length; j++) expect(images[i].bytes.equals(images[j].bytes)).toBe(false);
    }
  });

  it('LCM defaults: 4 steps, guidance fed as timestep_cond (no CFG batch), and the guidance value matters', async () => {
    const spy = await spyUnet(dirs.main, 'lcm-dreamshaper-v7');
    try {
      const a = await create({ prompt: 'a fox', model: 'lcm-dreamshaper-v7', seed: 8 });
      expect(a.result).toMatchObject({ steps: 4, scheduler: 'lcm', guidance_scale: 8.5, cfg: false });
      expect(spy.batches).toEqual([1, 1, 1, 1]);
      const b = await create({ prompt: 'a fox', model: 'lcm-dreamshaper-v7', seed: 8, guidance_scale: 2 });
      expect(meanAbsDiff(a.pixels, b.pixels)).toBeGreaterThan(0.2);
    } finally {
      spy.restore();
    }
  });
});

describe('cancel', () => {
  it('a cancel during step k of n stops before step k + 1 starts (and so before k + 2)', async () => {
    const n = 8;
    const k = 3;
    const controller = new AbortController();
    // The abort lands while the UNet of step k runs, as a cancel message would.
    const spy = await spyUnet(dirs.main, 'sd15', (run) => {
      if (run === k) controller.abort();
    });
    const progress: number[] = [];
    try {
      await expect(
        create({ prompt: 'x', model: 'sd15', steps: n, seed: 1 }, dirs.main, { signal: controller.signal, progress: (s) => progress.push(s) }),
      ).rejects.toBeInstanceOf(CancelledError);
      expect(spy.batches.length).toBe(k);
      expect(Math.max(...progress)).toBe(k);
    } finally {
      spy.restore();
    }
  });
});

describe('other exports of the same models', () => {
  it('fp16 inputs/outputs (latents, states, timestep, VAE) run and match the fp32 model to fp16 rounding', async () => {
    for (const [model, extra] of [['sd-turbo', {}], ['sd15', { steps: 3, guidance_scale: 6 }]] as const) {
      const params = { prompt: 'a red bicycle', model, seed: 99, ...extra };
      const ref = await create(params);
      const half = await create(params, dirs.fp16);
      const unet = await sessions.get(join(dirs.fp16, model, 'unet', 'model.onnx'));
      expect(unet.inputMetadata.find((m) => m.name === 'sample')).toMatchObject({ type: 'float16' });
      expect(meanAbsDiff(ref.pixels, half.pixels)).toBeLessThan(1.5);
      expect(stdDev(half.pixels)).toBeGreaterThan(5);
    }
  });

  it('the fp32 -> fp16 converter\'s sd-turbo (fp16 weights and I/O) gives the same image to fp16 rounding', async () => {
    const params = { prompt: 'a red bicycle', model: 'sd-turbo', seed: 99 };
    const ref = await create(params);
    const half = await create(params, dirs.converted16);
    const unet = await sessions.get(join(dirs.converted16, 'sd-turbo', 'unet', 'model.onnx'));
    expect(unet.inputMetadata.find((m) => m.name === 'encoder_hidden_states')).toMatchObject({ type: 'float16' });
    expect(meanAbsDiff(ref.pixels, half.pixels)).toBeLessThan(1.5);
    expect(stdDev(half.pixels)).toBeGreaterThan(5);
  });

  it('a UNet with a fixed batch of 1 runs guidance as two runs per step, giving the batch-2 image', async () => {
    const params = { prompt: 'a castle on a hill', negative_prompt: 'fog', model: 'sd15', steps: 3, guidance_scale: 7.5, seed: 11 };
    const ref = await create(params);
    for (const [dir, tolerance] of [[dirs.batch1, 0.5], [dirs.batch1fp16, 1.5]] as const) {
      const spy = await spyUnet(dir, 'sd15');
      try {
        const split = await create(params, dir);
        expect(spy.batches).toEqual([1, 1, 1, 1, 1, 1]);
        expect(meanAbsDiff(ref.pixels, split.pixels)).toBeLessThan(tolerance);
        expect(stdDev(split.pixels)).toBeGreaterThan(5);
      } finally {
        spy.restore();
      }
    }
  });

  it('Optimum-style exports (int64 input_ids, scalar timestep) give the same image as the legacy ones', async () => {
    for (const model of ['sd-turbo', 'sd15']) {
      const params = { prompt: 'a red bicycle', model, seed: 99, steps: 2, guidance_scale: 3 };
      const legacy = await create(params);
      const optimum = await create(params, dirs.optimum);
      const te = await sessions.get(join(dirs.optimum, model, 'text_encoder', 'model.onnx'));
      expect(te.inputMetadata[0]).toMatchObject({ name: 'input_ids', type: 'int64' });
      expect(optimum.bytes.equals(legacy.bytes)).toBe(true);
    }
  });
});
