/**
 * image_creation: prompt → CLIP states → denoise loop → VAE decode → PNG with metadata, for
 * text-to-image, img2img, inpainting and outpainting, one image or a batch (seeds s, s+1, …),
 * SD 1.x/2.x or SDXL (sdxl-conditioning.ts), with the hires fix's second pass (hires.ts) when asked.
 * Progress counts the denoise steps of every sub-batch and then the decodes as one more unit.
 */
import { join } from 'node:path';
import { encodePng } from '../../imaging/png-text.js';
import type { ResultMeta } from '../../tasks/types.js';
import { checkpoint } from '../checkpoint.js';
import type { TaskParams } from '../params/types.js';
import { type PipelineContext } from '../types.js';
import { writeResultFile } from '../write-result.js';
import { composite, pasteBack } from './edit-images.js';
import { prepareEdit, type PreparedEdit } from './edit-prepare.js';
import { editLatents, type EditLatents } from './edit-latents.js';
import { sdModelLookup } from './model-info.js';
import { parse, type CreationSettings } from './params.js';
import { latentRgbMap } from './preview.js';
import { PreviewQueue } from './preview-queue.js';
import { openSdModel, type SdModel } from './sd-model.js';
import { encodePrompt } from './text-encoder.js';
import { hiresSchedule, hiresSide } from './hires-params.js';
import { upscaleForHires } from './hires.js';
import { encodeSdxlPrompt, timeIds } from './sdxl-conditioning.js';
import { maxImagesPerRun } from './unet-buffers.js';
import { generateLatents, usesCfg } from './unet-loop.js';
import { decodeLatents } from './vae.js';

/**
 * Memory budget of one UNet run, in latent-image pixels × batch entries (guidance halves count):
 * four 512² entries. A larger batch is split into sub-batches that fit.
 */
export const UNET_BATCH_PIXELS = 4 * 512 * 512;

export async function runImageCreation(params: TaskParams, ctx: PipelineContext): Promise<ResultMeta> {
  return create(parse(params, sdModelLookup(ctx.models, 'image_creation')), ctx);
}

/** Images per UNet run for this size under the budget (at least 1; 1 when the export fixes its batch). */
export function imagesPerRun(model: SdModel, width: number, height: number, guided: boolean, batch: number): number {
  const byBudget = Math.max(1, Math.floor(UNET_BATCH_PIXELS / (width * height * (guided ? 2 : 1))));
  return Math.min(batch, byBudget, maxImagesPerRun(model));
}

async function create(s: CreationSettings, ctx: PipelineContext): Promise<ResultMeta> {
  const t0 = performance.now();
  const e = s;
  const prep: PreparedEdit | null = e.initImage ? await prepareEdit(e, s.width, s.height, ctx) : null;
  const lora = s.loras.length ? { dir: ctx.env.loraDir ?? join(ctx.env.modelsDir, 'loras'), requests: s.loras } : undefined;
  const model = await openSdModel(ctx.sessions, ctx.kernels, s.model.id, s.model.dir, lora);
  const width = prep ? prep.work.width : s.width;
  const height = prep ? prep.work.height : s.height;
  const guided = usesCfg(model, s.guidanceScale);
  const per = imagesPerRun(model, width, height, guided, e.batchSize);
  const subBatches = Math.ceil(e.batchSize / per);
  const strength = prep ? e.strength : 1;
  const kept = prep ? Math.min(s.steps, Math.floor(s.steps * strength)) : s.steps;
  // Hires fix: a second img2img pass per image at the large size, hires.steps steps each.
  const hires = s.hires;
  const big = hires ? { width: hiresSide(width, hires.scale), height: hiresSide(height, hires.scale) } : null;
  const total = kept * subBatches + (hires ? hires.steps * e.batchSize : 0) + 1;
  ctx.progress(0, total);
  await checkpoint(ctx.signal);
  const tLoaded = performance.now();

  const prompt = model.sdxl ? await encodeSdxlPrompt(model, s, guided) : await encodePrompt(model, s.prompt, s.negativePrompt, guided);
  const edit: EditLatents | null = await editLatents(model, prep, s.seed, e.inpaintingFill, width, height);
  const tEncoded = performance.now();

  const lw = width / 8;
  const lh = height / 8;
  const size = 4 * lw * lh;
  const all = new Float32Array(e.batchSize * size);
  const stepMs: number[] = [];
  const previews = ctx.preview && e.previewEvery > 0
    ? new PreviewQueue(ctx.resultsDir, ctx.ticketId, { lw, lh }, latentRgbMap(model.sdxl !== null), (file, step) => ctx.preview?.(file, step))
    : null;
  let launches = 0;
  try {
    for (let b = 0; b < subBatches; b++) {
      const first = b * per;
      const images = Math.min(per, e.batchSize - first);
      if (edit && kept === 0) {
        // Strength 0: no denoising, the input comes back through the VAE round trip.
        for (let k = 0; k < images; k++) all.set(edit.init, (first + k) * size);
        continue;
      }
      const gen = await generateLatents(model, prompt, {
        width, height, steps: s.steps, guidanceScale: s.guidanceScale, scheduler: s.scheduler,
        seed: s.seed + first, images, signal: ctx.signal,
        init: edit ? { latents: edit.init, strength } : undefined,
        blendMask: edit?.blendMask,
        unetExtra: edit?.unetExtra,
        timeIds: model.sdxl ? timeIds({ width, height }, s) : undefined,
        onStep: (done, _n, latents) => {
          ctx.progress(b * kept + done, total);
          // The first image's preview; its encode and write overlap the next steps (preview-queue.ts).
          if (previews && done % e.previewEvery === 0 && done < kept) previews.offer(latents.subarray(0, size), b * kept + done);
        },
      });
      all.set(gen.latents, first * size);
      stepMs.push(...gen.stepMs);
      launches += gen.launchesPerStep * gen.stepsRun;
    }
  } finally {
    // No preview write may outlive the loop (the worker removes the file once the task ends, cancelled or not).
    await previews?.drain();
  }
  let final = all;
  if (hires && big) {
    const bigSize = 4 * (big.width / 8) * (big.height / 8);
    final = new Float32Array(e.batchSize * bigSize);
    const schedule = hiresSchedule(hires.steps, hires.strength);
    const bigExtra = await editLatents(model, null, s.seed, e.inpaintingFill, big.width, big.height);
    const base = kept * subBatches;
    for (let k = 0; k < e.batchSize; k++) {
      await checkpoint(ctx.signal);
      const up = await upscaleForHires(model, all.subarray(k * size, (k + 1) * size), { width, height }, big, hires.upscaler, (s.seed + k + 0x5eed) % 2 ** 32, ctx);
      const gen = await generateLatents(model, prompt, {
        width: big.width, height: big.height, steps: schedule, guidanceScale: s.guidanceScale, scheduler: s.scheduler,
        seed: s.seed + k, images: 1, signal: ctx.signal,
        init: { latents: up, strength: hires.strength },
        unetExtra: bigExtra?.unetExtra,
        timeIds: model.sdxl ? timeIds(big, s) : undefined,
        onStep: (done) => ctx.progress(base + k * hires.steps + done, total),
      });
      final.set(gen.latents, k * bigSize);
      stepMs.push(...gen.stepMs);
      launches += gen.launchesPerStep * gen.stepsRun;
    }
  }
  const tDenoised = performance.now();

  let tiles = 0;
  const decW = big ? big.width : width;
  const decH = big ? big.height : height;
  const decSize = 4 * (decW / 8) * (decH / 8);
  const outW = prep ? prep.canvas.width : decW;
  const outH = prep ? prep.canvas.height : decH;
  const decoded: Uint8Array[] = [];
  for (let k = 0; k < e.batchSize; k++) {
    const rgb = await decodeLatents(model, final.subarray(k * decSize, (k + 1) * decSize), decW, decH, { signal: ctx.signal });
    tiles += rgb.tiles;
    let pixels = rgb.data;
    if (prep?.box) pixels = (await pasteBack(prep.canvas, { data: pixels, width, height }, prep.box)).data;
    if (prep?.canvasMask) pixels = composite(prep.canvas, pixels, prep.canvasMask);
    decoded.push(pixels);
  }
  // The last unit is the decode; reported before the files are written, so it reaches the main thread before the result does.
  ctx.progress(total, total);
  const tDecoded = performance.now();

  const outputs: { file: string; seed: number; width: number; height: number }[] = [];
  for (let k = 0; k < e.batchSize; k++) {
    const seed = s.seed + k;
    const png = await encodePng(decoded[k], outW, outH, 3, {
      Software: 'Back.Serv',
      prompt: s.prompt,
      negative_prompt: s.negativePrompt,
      seed: String(seed),
      steps: String(s.steps),
      scheduler: s.scheduler,
      guidance_scale: String(s.guidanceScale),
      model: model.id,
      size: `${outW}x${outH}`,
      ...(model.loras.length ? { loras: model.loras.map((l) => `${l.name}:${l.weight}`).join(',') } : {}),
      ...(prep ? { strength: String(strength) } : {}),
      ...(hires ? { hires: JSON.stringify({ ...hires, base_size: `${width}x${height}` }) } : {}),
    });
    const file = k === 0 ? `${ctx.ticketId}.png` : `${ctx.ticketId}-${k}.png`;
    await writeResultFile(ctx.resultsDir, file, png);
    outputs.push({ file, seed, width: outW, height: outH });
  }

  const stepMean = stepMs.reduce((a, b) => a + b, 0) / Math.max(1, stepMs.length);
  const ms = (a: number, b: number) => Math.round(b - a);
  return {
    file: outputs[0].file,
    content_type: 'image/png',
    width: outW,
    height: outH,
    seed: s.seed,
    steps: s.steps,
    scheduler: s.scheduler,
    guidance_scale: s.guidanceScale,
    cfg: guided,
    model: model.id,
    vae_tiles: tiles,
    ...(prep ? { mode: edit?.mode, strength } : {}),
    ...(hires ? { hires: { scale: hires.scale, steps: hires.steps, strength: hires.strength, upscaler: hires.upscaler, base_width: width, base_height: height } } : {}),
    batch_size: e.batchSize,
    ...(model.loras.length ? { loras: model.loras } : {}),
    unet_launches: launches,
    images: outputs,
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
