/**
 * SDXL through the real image_creation pipeline on the signature-exact SDXL test exports: what the
 * UNet is fed (encoder_hidden_states = the two encoders' penultimate hidden states concatenated to
 * 2048 wide, text_embeds = encoder 2's pooled projection, time_ids = (orig h, w, crop top, left,
 * target h, w)), that time_ids steer the picture, and the model-driven defaults with overrides.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { imageCreationParams, openSdModel, readSdModelInfo, runImageCreation } from '../../src/pipelines/image-creation/index.js';
import { loadTokenizer } from '../../src/pipelines/image-creation/sd-model.js';
import { idsTensor } from '../../src/pipelines/image-creation/tensor-io.js';
import type { Tensor } from '../../src/runtime/index.js';
import { makeTestModels } from '../support/make-test.js';
import { SDXL_HIDDEN_1, SDXL_HIDDEN_2, SDXL_TEST_LAYERS } from '../support/test-models/sdxl.js';
import { kernels, pipelineContext, sessions } from './support.js';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'backserv-sdxl-models-'));
  await makeTestModels(dir, ['sdxl-base', 'sdxl-turbo']);
});

interface Fed {
  sample: number[];
  ehs: { dims: readonly number[]; data: Float32Array };
  textEmbeds: { dims: readonly number[]; data: Float32Array };
  timeIds: { dims: readonly number[]; data: Float32Array };
}

/** Copies what each UNet run of `id` is fed. */
async function spyUnet(id: string) {
  const unet = await sessions.get(join(dir, id, 'unet', 'model.onnx'));
  const fed: Fed[] = [];
  const original = unet.run.bind(unet);
  const copy = (t: Tensor) => ({ dims: [...t.dims], data: Float32Array.from(t.data as Float32Array) });
  const spy = vi.spyOn(unet, 'run').mockImplementation(((feeds: Record<string, Tensor>, ...rest: unknown[]) => {
    fed.push({ sample: [...feeds.sample.dims], ehs: copy(feeds.encoder_hidden_states), textEmbeds: copy(feeds.text_embeds), timeIds: copy(feeds.time_ids) });
    return (original as (...a: unknown[]) => ReturnType<typeof unet.run>)(feeds, ...rest);
  }) as typeof unet.run);
  return { fed, restore: () => spy.mockRestore() };
}

async function create(params: Record<string, unknown>) {
  const ctx = pipelineContext(dir);
  const result = await runImageCreation(params, ctx);
  const { data, info } = await sharp(readFileSync(join(ctx.resultsDir, result.file))).raw().toBuffer({ resolveWithObject: true });
  return { result, pixels: data, width: info.width, height: info.height };
}

/** Runs one SDXL text encoder on `text` directly; returns the named outputs. */
async function encoder(id: string, which: 1 | 2, text: string) {
  const session = await sessions.get(join(dir, id, which === 1 ? 'text_encoder' : 'text_encoder_2', 'model.onnx'));
  const tok = loadTokenizer(sessions, join(dir, id), which === 1 ? 'tokenizer' : 'tokenizer_2');
  const spec = { name: 'input_ids', type: 'int64' as const, shape: [1, 77] };
  const out = await session.run({ input_ids: idsTensor(spec, tok.encodePadded(text, { maxLength: 77 })) });
  const f = (name: string) => Float32Array.from(out[name].data as Float32Array);
  return { penultimate: f(`hidden_states.${SDXL_TEST_LAYERS - 1}`), last: f(`hidden_states.${SDXL_TEST_LAYERS}`), textEmbeds: which === 2 ? f('text_embeds') : null };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('SDXL (sdxl-base / sdxl-turbo test exports)', () => {
  it('feeds the UNet 2048-wide penultimate states, pooled text_embeds and the exact time_ids; an empty negative prompt is zeros', async () => {
    const spy = await spyUnet('sdxl-base');
    try {
      const { result, width, height } = await create({
        model: 'sdxl-base', prompt: 'a lighthouse at dusk', width: 128, height: 96, steps: 2, guidance_scale: 5, seed: 7,
        original_size: { width: 640, height: 480 }, crop_top_left: { top: 16, left: 8 },
      });
      expect([width, height]).toEqual([128, 96]);
      expect(result).toMatchObject({ model: 'sdxl-base', cfg: true, steps: 2 });
    } finally {
      spy.restore();
    }
    expect(spy.fed).toHaveLength(2);
    const run = spy.fed[0];
    // CFG batch [uncond, cond]: states [2, 77, 768 + 1280].
    expect(run.sample).toEqual([2, 4, 12, 16]);
    expect(run.ehs.dims).toEqual([2, 77, SDXL_HIDDEN_1 + SDXL_HIDDEN_2]);
    expect(SDXL_HIDDEN_1 + SDXL_HIDDEN_2).toBe(2048);
    expect(run.textEmbeds.dims).toEqual([2, SDXL_HIDDEN_2]);
    expect(run.timeIds.dims).toEqual([2, 6]);
    expect(Array.from(run.timeIds.data)).toEqual([480, 640, 16, 8, 96, 128, 480, 640, 16, 8, 96, 128]);

    const e1 = await encoder('sdxl-base', 1, 'a lighthouse at dusk');
    const e2 = await encoder('sdxl-base', 2, 'a lighthouse at dusk');
    const E = 2048;
    const cond = run.ehs.data.subarray(77 * E);
    const left = new Float32Array(77 * SDXL_HIDDEN_1);
    const right = new Float32Array(77 * SDXL_HIDDEN_2);
    for (let t = 0; t < 77; t++) {
      left.set(cond.subarray(t * E, t * E + SDXL_HIDDEN_1), t * SDXL_HIDDEN_1);
      right.set(cond.subarray(t * E + SDXL_HIDDEN_1, (t + 1) * E), t * SDXL_HIDDEN_2);
    }
    expect(maxAbsDiff(left, e1.penultimate)).toBe(0);
    expect(maxAbsDiff(right, e2.penultimate)).toBe(0);
    // The penultimate state, not the last one.
    expect(maxAbsDiff(left, e1.last)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(run.textEmbeds.data.subarray(SDXL_HIDDEN_2), e2.textEmbeds!)).toBe(0);
    // No negative prompt: diffusers' force_zeros_for_empty_prompt.
    expect(run.ehs.data.subarray(0, 77 * E).every((v) => v === 0)).toBe(true);
    expect(run.textEmbeds.data.subarray(0, SDXL_HIDDEN_2).every((v) => v === 0)).toBe(true);
  });

  it('prompt_2 reaches only the second encoder; time_ids default to the output size and change the picture', async () => {
    const spy = await spyUnet('sdxl-turbo');
    let a, b;
    try {
      a = await create({ model: 'sdxl-turbo', prompt: 'a red fox', width: 64, height: 64, seed: 11 });
      b = await create({ model: 'sdxl-turbo', prompt: 'a red fox', width: 64, height: 64, seed: 11, original_size: { width: 256, height: 256 } });
      await create({ model: 'sdxl-turbo', prompt: 'a red fox', prompt_2: 'a blue whale', width: 64, height: 64, seed: 11 });
    } finally {
      spy.restore();
    }
    // Turbo: no guidance, batch 1, one step by default.
    expect(spy.fed).toHaveLength(3);
    expect(Array.from(spy.fed[0].timeIds.data)).toEqual([64, 64, 0, 0, 64, 64]);
    expect(Array.from(spy.fed[1].timeIds.data)).toEqual([256, 256, 0, 0, 64, 64]);
    let diff = 0;
    for (let i = 0; i < a.pixels.length; i++) diff += Math.abs(a.pixels[i] - b.pixels[i]);
    expect(diff / a.pixels.length).toBeGreaterThan(0.5);
    const E = 2048;
    // Every token's first 768 features (encoder 1) and last 1280 (encoder 2).
    const part = (f: Fed, from: number, to: number) => Float32Array.from({ length: 77 * (to - from) }, (_, i) => f.ehs.data[Math.floor(i / (to - from)) * E + from + (i % (to - from))]);
    const first = (f: Fed) => part(f, 0, SDXL_HIDDEN_1);
    const second = (f: Fed) => part(f, SDXL_HIDDEN_1, E);
    expect(maxAbsDiff(first(spy.fed[0]), first(spy.fed[2]))).toBe(0);
    expect(maxAbsDiff(second(spy.fed[0]), second(spy.fed[2]))).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(spy.fed[0].textEmbeds.data, spy.fed[2].textEmbeds.data)).toBeGreaterThan(1e-3);
  });

  it('the model decides its defaults (size from unet/config.json, steps, guidance, scheduler); a request overrides each', () => {
    const lookup = (id: string) => () => readSdModelInfo(id, join(dir, id));
    const base = imageCreationParams.parse({ prompt: 'x' }, lookup('sdxl-base'));
    expect(base).toMatchObject({ width: 1024, height: 1024, steps: 30, guidanceScale: 6, scheduler: 'euler' });
    const turbo = imageCreationParams.parse({ prompt: 'x' }, lookup('sdxl-turbo'));
    expect(turbo).toMatchObject({ width: 512, height: 512, steps: 1, guidanceScale: 0, scheduler: 'euler_a' });
    const over = imageCreationParams.parse({ prompt: 'x', width: 1536, height: 640, steps: 4, guidance_scale: 2, scheduler: 'ddim' }, lookup('sdxl-base'));
    expect(over).toMatchObject({ width: 1536, height: 640, steps: 4, guidanceScale: 2, scheduler: 'ddim' });
    expect(() => imageCreationParams.parse({ prompt: 'x', width: 1600 }, lookup('sdxl-base'))).toThrow(/width/);
  });

  it('runs sdxl-turbo end to end on its own defaults: 512², one step, no guidance, VAE scale 0.13025', async () => {
    // No model named: the folder's preferred one (sdxl-turbo before sdxl-base).
    const { result, width, height } = await create({ prompt: 'a bowl of fruit', seed: 5 });
    expect([width, height]).toEqual([512, 512]);
    expect(result).toMatchObject({ model: 'sdxl-turbo', steps: 1, guidance_scale: 0, cfg: false, scheduler: 'euler_a' });
    const model = await openSdModel(sessions, kernels, 'sdxl-turbo', join(dir, 'sdxl-turbo'));
    expect(model.vaeScaling).toBe(0.13025);
    expect(model.sdxl?.penultimate1).toBe(`hidden_states.${SDXL_TEST_LAYERS - 1}`);
  });
});
