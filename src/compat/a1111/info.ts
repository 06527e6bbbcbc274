/**
 * The `info` string of an A1111 txt2img answer: JSON with the fields clients read (`seed`,
 * `all_seeds`, `width`, `height`, `sampler_name`, `steps`, `cfg_scale`, `infotexts[]`, …),
 * taken from what the tasks really did, plus a `backserv` block with the ticket ids and notes
 * on fields that were not honoured. An infotext is A1111's "parameters" text: prompt, negative
 * prompt, then one "Key: value, …" line (LibreChat reads that last line). With the hires fix,
 * as in A1111, `Size`, `width` and `height` are the first pass's and the "Hires …" keys say how it
 * was enlarged (the PNG itself is the enlarged image).
 */
import type { TaskRecord } from '../../tasks/types.js';
import { modelHash } from '../models.js';
import { A1111_NAME } from './samplers.js';
import type { HiresInfo } from './hires-plan.js';
import type { Txt2ImgPlan } from './txt2img-plan.js';

/** The hires part of an image_creation result (pipeline.ts), when it ran. */
interface HiresResult {
  scale: number;
  steps: number;
  strength: number;
  upscaler: string;
  base_width: number;
  base_height: number;
}

function hiresOf(result: object | null | undefined): HiresResult | null {
  const h = (result as { hires?: unknown } | null | undefined)?.hires;
  return h && typeof h === 'object' ? (h as HiresResult) : null;
}

/** A1111's hires keys (processing.py's extra_generation_params), from what the task really did. */
function hiresParams(asked: HiresInfo | null, done: HiresResult | null): Record<string, unknown> {
  if (!done) return {};
  return {
    'Denoising strength': done.strength,
    ...(asked?.resize ? { 'Hires resize': asked.resize } : {}),
    'Hires upscale': done.scale,
    'Hires steps': done.steps,
    'Hires upscaler': asked?.upscalerName ?? done.upscaler,
  };
}

export function infotext(prompt: string, negative: string, rec: TaskRecord, asked: HiresInfo | null = null): string {
  const r = rec.result ?? { file: '', content_type: '' };
  const hash = typeof r.model === 'string' ? modelHash(r.model) : null;
  const hires = hiresOf(r);
  const size = hires ? `${hires.base_width}x${hires.base_height}` : `${r.width}x${r.height}`;
  const fields: [string, unknown][] = [
    ['Steps', r.steps], ['Sampler', A1111_NAME[String(r.scheduler)] ?? r.scheduler], ['CFG scale', r.guidance_scale],
    ['Seed', r.seed], ['Size', size], ['Model hash', hash], ['Model', r.model], ...Object.entries(hiresParams(asked, hires)), ['Version', 'Back.Serv'],
  ];
  const line = fields.filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => `${k}: ${String(v)}`).join(', ');
  return [prompt, ...(negative ? [`Negative prompt: ${negative}`] : []), line].join('\n');
}

export function buildInfo(plan: Txt2ImgPlan, records: readonly TaskRecord[], notes: readonly string[]): string {
  const done = records.filter((r) => r.status === 'Completed' && r.result);
  const first = done[0]?.result;
  const hires = hiresOf(first);
  const model = typeof first?.model === 'string' ? first.model : plan.model;
  const info = {
    prompt: plan.prompt,
    all_prompts: done.map(() => plan.prompt),
    negative_prompt: plan.negativePrompt,
    all_negative_prompts: done.map(() => plan.negativePrompt),
    seed: plan.seeds[0],
    all_seeds: done.map((r) => r.result!.seed ?? null),
    subseed: -1,
    all_subseeds: done.map(() => -1),
    subseed_strength: 0,
    width: hires?.base_width ?? first?.width ?? null,
    height: hires?.base_height ?? first?.height ?? null,
    sampler_name: first ? (A1111_NAME[String(first.scheduler)] ?? first.scheduler) : null,
    cfg_scale: first?.guidance_scale ?? null,
    steps: first?.steps ?? null,
    batch_size: plan.seeds.length,
    restore_faces: false,
    sd_model_name: model ?? null,
    sd_model_hash: model ? modelHash(model) : null,
    seed_resize_from_w: -1,
    seed_resize_from_h: -1,
    denoising_strength: hires?.strength ?? null,
    extra_generation_params: hiresParams(plan.hires, hires),
    index_of_first_image: 0,
    infotexts: done.map((r) => infotext(plan.prompt, plan.negativePrompt, r, plan.hires)),
    styles: [],
    job_timestamp: (done[0]?.completed_at ?? new Date().toISOString()).replace(/\D/g, '').slice(0, 14),
    clip_skip: 1,
    is_using_inpainting_conditioning: false,
    version: 'Back.Serv',
    backserv: {
      ticket_ids: records.map((r) => r.ticket_id), notes,
      // What was made and how: the hires output size and the upscaler that really ran.
      ...(hires && first ? { hires: { width: first.width, height: first.height, upscaler: hires.upscaler } } : {}),
    },
  };
  return JSON.stringify(info);
}
