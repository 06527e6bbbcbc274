/**
 * image_creation: prompt → CLIP states → denoise loop → VAE decode → PNG with metadata.
 * Progress counts the denoise steps and then the decode as one more unit: total = steps + 1.
 */
import { encodePng } from '../../imaging/png-text.js';
import type { ResultMeta } from '../../tasks/types.js';
import { checkpoint } from '../checkpoint.js';
import type { TaskParams } from '../params/types.js';
import { type PipelineContext } from '../types.js';
import { writeResultFile } from '../write-result.js';
import { sdModelLookup } from './model-info.js';
import { parse, type CreationSettings } from './params.js';
import { openSdModel } from './sd-model.js';
import { encodePrompt } from './text-encoder.js';
import { generateLatents, usesCfg } from './unet-loop.js';
import { decodeLatents } from './vae.js';

export async function runImageCreation(params: TaskParams, ctx: PipelineContext): Promise<ResultMeta> {
  return create(parse(params, sdModelLookup(ctx.models, 'image_creation')), ctx);
}

async function create(s: CreationSettings, ctx: PipelineContext): Promise<ResultMeta> {
  const t0 = performance.now();
  const model = await openSdModel(ctx.sessions, ctx.kernels, s.model.id, s.model.dir);
  const total = s.steps + 1;
  ctx.progress(0, total);
  await checkpoint(ctx.signal);
  const tLoaded = performance.now();

  const guided = usesCfg(model, s.guidanceScale);
  const prompt = await encodePrompt(model, s.prompt, s.negativePrompt, guided);
  const tEncoded = performance.now();

  const gen = await generateLatents(model, prompt, {
    width: s.width,
    height: s.height,
    steps: s.steps,
    guidanceScale: s.guidanceScale,
    scheduler: s.scheduler,
    seed: s.seed,
    signal: ctx.signal,
    onStep: (done) => ctx.progress(done, total),
  });
  const tDenoised = performance.now();

  const rgb = await decodeLatents(model, gen.latents, s.width, s.height, { signal: ctx.signal });
  ctx.progress(total, total);
  const tDecoded = performance.now();

  const png = await encodePng(rgb.data, s.width, s.height, 3, {
    Software: 'Back.Serv',
    prompt: s.prompt,
    negative_prompt: s.negativePrompt,
    seed: String(s.seed),
    steps: String(s.steps),
    scheduler: s.scheduler,
    guidance_scale: String(s.guidanceScale),
    model: model.id,
    size: `${s.width}x${s.height}`,
  });
  const file = `${ctx.ticketId}.png`;
  await writeResultFile(ctx.resultsDir, file, png);
  const stepMean = gen.stepMs.reduce((a, b) => a + b, 0) / Math.max(1, gen.stepsRun);
  const ms = (a: number, b: number) => Math.round(b - a);
  return {
    file,
    content_type: 'image/png',
    width: s.width,
    height: s.height,
    seed: s.seed,
    steps: s.steps,
    scheduler: s.scheduler,
    guidance_scale: s.guidanceScale,
    cfg: guided,
    model: model.id,
    vae_tiles: rgb.tiles,
    timings: {
      load_ms: ms(t0, tLoaded),
      encode_ms: ms(tLoaded, tEncoded),
      step_ms: Math.round(stepMean * 100) / 100,
      denoise_ms: ms(tEncoded, tDenoised),
      decode_ms: ms(tDenoised, tDecoded),
      png_ms: ms(tDecoded, performance.now()),
      total_ms: ms(t0, performance.now()),
    },
  };
}
