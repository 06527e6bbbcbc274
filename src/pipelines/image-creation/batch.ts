/**
 * Cross-request batching: several image_creation tasks whose batch keys match (same model, size,
 * steps, scheduler, CFG on or off; see pipelines/batch-key.ts) denoised as ONE UNet batch. Each
 * member keeps its own prompt, negative prompt, seed(s), guidance value (combined per row), progress,
 * preview, cancel and result files, which equal what the member would get alone (the images of a
 * batch are independent rows; the batch_size tests already hold a batch to single runs).
 *
 * A member whose signal aborts leaves at the next step: its rows still ride along (the scheduler's
 * state spans the batch) but nothing of it is decoded or written; when every member has left the
 * loop stops. A member that does not fit the batch after parsing (its defaults resolved otherwise,
 * or an edit input) runs alone after it, in the same slot.
 */
import { encodePng } from '../../imaging/png-text.js';
import type { ResultMeta } from '../../tasks/types.js';
import { CancelledError } from '../../tasks/task-errors.js';
import type { TaskParams } from '../params/types.js';
import type { PipelineContext } from '../types.js';
import { writeResultFile } from '../write-result.js';
import { sdModelLookup } from './model-info.js';
import { parse, type CreationSettings } from './params.js';
import { imagesPerRun, runImageCreation } from './pipeline.js';
import { latentRgbMap } from './preview.js';
import { PreviewQueue } from './preview-queue.js';
import { openSdModel, type SdModel } from './sd-model.js';
import { encodePrompt, type PromptEmbeddings } from './text-encoder.js';
import { generateLatents, usesCfg } from './unet-loop.js';
import { decodeLatents } from './vae.js';

/** One member's outcome: its result, or what it threw (a CancelledError when it left). */
export type MemberOutcome = { ok: true; result: ResultMeta } | { ok: false; error: unknown };

interface Member {
  index: number;
  ctx: PipelineContext;
  s: CreationSettings;
  prompt?: PromptEmbeddings;
  /** Index of its first image in the flattened batch. */
  first: number;
  done: number;
  /** Its progress total: the steps of the sub-batches its images are in, then the decode. */
  total: number;
}

/** Shared settings that must agree for one UNet batch, once the model's defaults are applied. */
function shape(s: CreationSettings, model: SdModel): string {
  return JSON.stringify([s.model.id, s.width, s.height, s.steps, s.scheduler, usesCfg(model, s.guidanceScale)]);
}

/** Runs `params[i]` with `ctxs[i]` (own ticket, signal, progress, preview) as one batch where they fit. */
export async function runImageCreationBatch(params: readonly TaskParams[], ctxs: readonly PipelineContext[]): Promise<MemberOutcome[]> {
  const out: MemberOutcome[] = new Array(params.length);
  const members: Member[] = [];
  params.forEach((p, index) => {
    try {
      members.push({ index, ctx: ctxs[index], s: parse(p, sdModelLookup(ctxs[index].models, 'image_creation')), first: 0, done: 0, total: 0 });
    } catch (error) {
      out[index] = { ok: false, error };
    }
  });
  const alone: number[] = [];
  if (members.length > 0) {
    const lead = members[0];
    const model = await openSdModel(lead.ctx.sessions, lead.ctx.kernels, lead.s.model.id, lead.s.model.dir);
    const want = shape(lead.s, model);
    const batch = members.filter((m) => !m.s.initImage && shape(m.s, model) === want);
    for (const m of members) if (!batch.includes(m)) alone.push(m.index);
    try {
      for (const [i, r] of (await denoiseTogether(model, batch)).entries()) out[batch[i].index] = r;
    } catch (error) {
      for (const m of batch) out[m.index] ??= { ok: false, error };
    }
  }
  // Members that could not share the batch run alone, one after the other, in this slot.
  for (const i of alone) {
    try {
      out[i] = { ok: true, result: await runImageCreation(params[i], ctxs[i]) };
    } catch (error) {
      out[i] = { ok: false, error };
    }
  }
  return out;
}

async function denoiseTogether(model: SdModel, members: Member[]): Promise<MemberOutcome[]> {
  const t0 = performance.now();
  const lead = members[0].s;
  const { width, height, steps, scheduler } = lead;
  const guided = usesCfg(model, lead.guidanceScale);
  let n = 0;
  for (const m of members) {
    m.first = n;
    n += m.s.batchSize;
  }
  // The loop's own signal aborts once every member has left.
  const all = new AbortController();
  const left = () => members.every((m) => m.ctx.signal.aborted);
  for (const m of members) m.ctx.signal.addEventListener('abort', () => { if (left()) all.abort(); }, { once: true });
  if (left()) all.abort();
  const per = imagesPerRun(model, width, height, guided, n);
  const chunks = Math.ceil(n / per);
  // Each member's progress counts the steps of the sub-batches its images are in, then the decode.
  const chunksOf = (m: Member) => Math.floor((m.first + m.s.batchSize - 1) / per) - Math.floor(m.first / per) + 1;
  for (const m of members) {
    m.total = steps * chunksOf(m) + 1;
    m.ctx.progress(0, m.total);
  }

  for (const m of members) if (!m.ctx.signal.aborted) m.prompt = await encodePrompt(model, m.s.prompt, m.s.negativePrompt, guided);
  const tEncoded = performance.now();
  // Image k of the flattened batch: its member, its seed, its prompt, its guidance value.
  const owner: Member[] = [];
  const seeds: number[] = [];
  for (const m of members) for (let j = 0; j < m.s.batchSize; j++) { owner.push(m); seeds.push(m.s.seed + j); }

  const lw = width / 8;
  const lh = height / 8;
  const size = 4 * lw * lh;
  const latents = new Float32Array(n * size);
  const stepMs: number[] = [];
  let launches = 0;
  // One queue per member (each has its own preview file and events).
  const previews = new Map(members.flatMap((m) => {
    const ctx = m.ctx;
    return ctx.preview && m.s.previewEvery > 0 ? [[m, new PreviewQueue(ctx.resultsDir, ctx.ticketId, { lw, lh }, latentRgbMap(model.sdxl !== null), (file, step) => ctx.preview?.(file, step))] as const] : [];
  }));
  try {
    for (let c = 0; c < chunks; c++) {
      const from = c * per;
      const count = Math.min(per, n - from);
      const mine = owner.slice(from, from + count);
      if (mine.every((m) => m.ctx.signal.aborted)) continue;
      const inChunk = [...new Set(mine)];
      // A member that has left keeps its rows (any prompt will do); the lead's stands in for an unencoded one.
      const stand = inChunk.find((m) => m.prompt)!.prompt!;
      const gen = await generateLatents(model, mine.map((m) => m.prompt ?? stand), {
        width, height, steps, scheduler, guidanceScale: lead.guidanceScale, signal: all.signal,
        seed: seeds[from], seeds: seeds.slice(from, from + count), guidanceScales: mine.map((m) => m.s.guidanceScale), images: count,
        onStep: (done, _total, lat) => {
          for (const m of inChunk) {
            if (m.ctx.signal.aborted) continue;
            const step = m.done + done;
            m.ctx.progress(step, m.total);
            const queue = previews.get(m);
            if (queue && done % m.s.previewEvery === 0 && done < steps && m.first >= from) {
              queue.offer(lat.subarray((m.first - from) * size, (m.first - from + 1) * size), step);
            }
          }
        },
      });
      for (const m of inChunk) m.done += gen.stepsRun;
      latents.set(gen.latents, from * size);
      stepMs.push(...gen.stepMs);
      launches += gen.launchesPerStep * gen.stepsRun;
    }
  } finally {
    await Promise.all([...previews.values()].map((q) => q.drain()));
  }
  const tDenoised = performance.now();
  const stepMean = stepMs.reduce((a, b) => a + b, 0) / Math.max(1, stepMs.length);

  const results: MemberOutcome[] = [];
  for (const m of members) {
    try {
      results.push({ ok: true, result: await finishMember(model, m, latents, size, { launches, stepMean, t0, tEncoded, tDenoised, members: members.length, images: n }) });
    } catch (error) {
      results.push({ ok: false, error });
    }
  }
  return results;
}

interface BatchFacts { launches: number; stepMean: number; t0: number; tEncoded: number; tDenoised: number; members: number; images: number }

/** Decodes and writes one member's images; the same files and result fields as a run alone. */
async function finishMember(model: SdModel, m: Member, latents: Float32Array, size: number, f: BatchFacts): Promise<ResultMeta> {
  const { ctx, s } = m;
  const gone = () => { if (ctx.signal.aborted) throw new CancelledError(); };
  gone();
  const tStart = performance.now();
  let tiles = 0;
  const outputs: { file: string; seed: number; width: number; height: number }[] = [];
  const pngs: Buffer[] = [];
  for (let k = 0; k < s.batchSize; k++) {
    const at = (m.first + k) * size;
    const rgb = await decodeLatents(model, latents.subarray(at, at + size), s.width, s.height, { signal: ctx.signal });
    tiles += rgb.tiles;
    pngs.push(await encodePng(rgb.data, s.width, s.height, 3, {
      Software: 'Back.Serv', prompt: s.prompt, negative_prompt: s.negativePrompt, seed: String(s.seed + k), steps: String(s.steps),
      scheduler: s.scheduler, guidance_scale: String(s.guidanceScale), model: model.id, size: `${s.width}x${s.height}`,
    }));
  }
  ctx.progress(m.total, m.total);
  const tDecoded = performance.now();
  for (let k = 0; k < s.batchSize; k++) {
    gone(); // a member cancelled during the decode writes nothing
    const file = k === 0 ? `${ctx.ticketId}.png` : `${ctx.ticketId}-${k}.png`;
    await writeResultFile(ctx.resultsDir, file, pngs[k]);
    outputs.push({ file, seed: s.seed + k, width: s.width, height: s.height });
  }
  const ms = (a: number, b: number) => Math.round(b - a);
  return {
    file: outputs[0].file, content_type: 'image/png', width: s.width, height: s.height, seed: s.seed, steps: s.steps,
    scheduler: s.scheduler, guidance_scale: s.guidanceScale, cfg: usesCfg(model, s.guidanceScale), model: model.id,
    vae_tiles: tiles, batch_size: s.batchSize, unet_launches: f.launches, images: outputs,
    // Which requests shared the UNet batch: members and their images in all.
    batched: { members: f.members, images: f.images },
    timings: {
      load_ms: 0, encode_ms: ms(f.t0, f.tEncoded), step_ms: Math.round(f.stepMean * 100) / 100, denoise_ms: ms(f.tEncoded, f.tDenoised),
      decode_ms: ms(tStart, tDecoded), png_ms: ms(tDecoded, performance.now()), total_ms: ms(f.t0, performance.now()),
    },
  };
}
