/**
 * An A1111 txt2img body → image_creation tasks (one per image: batch_size × n_iter), with the
 * seeds A1111 would use (seed, seed+1, …) and notes on every field that would have changed the
 * result but is not honoured here. Bad types are rejected earlier (schemas.ts); out-of-range
 * values are clamped and said, as A1111 is lenient and clients rely on it.
 */
import { a1111DataUri } from './data-uri.js';
import { randomInt } from 'node:crypto';
import { CompatError } from '../errors.js';
import type { TaskRequest } from '../call-runner.js';
import { resolveCheckpoint } from '../models.js';
import { fitSize } from '../size.js';
import { IMAGE_SIZE } from '../../pipelines/image-creation/params.js';
import { hiresSide } from '../../pipelines/image-creation/hires-params.js';
import { planHires, type HiresInfo } from './hires-plan.js';
import { takeLoraTags } from './lora-tags.js';
import { chooseSampler } from './samplers.js';

export interface Txt2ImgPlan {
  requests: TaskRequest[];
  seeds: number[];
  prompt: string;
  negativePrompt: string;
  /** Fields that changed nothing or were adjusted, for info.backserv.notes. */
  notes: string[];
  /** The model asked for (null: the server's default). */
  model: string | null;
  sendImages: boolean;
  /** The hires fix as asked (enable_hr), null without it. */
  hires: HiresInfo | null;
}

export interface PlanContext {
  installed: readonly string[];
  /** The caller's default from POST /sdapi/v1/options, if any. */
  userCheckpoint: string | null;
  maxImages: number;
  /** Installed image_upscale ids (hires upscalers); default none. */
  upscalers?: readonly string[];
  /** Longest output side of a model (null: the server's default model); default 1024. */
  maxSide?: (model: string | null) => number;
}

/** Fields read or deliberately ignored (cosmetic, or reported in notes); the rest are logged as unknown. */
export const TXT2IMG_FIELDS: ReadonlySet<string> = new Set([
  'prompt', 'negative_prompt', 'seed', 'sampler_name', 'sampler_index', 'scheduler', 'batch_size', 'n_iter', 'steps',
  'cfg_scale', 'width', 'height', 'restore_faces', 'tiling', 'enable_hr', 'hr_scale', 'hr_upscaler', 'hr_second_pass_steps',
  'hr_resize_x', 'hr_resize_y', 'hr_sampler_name', 'hr_scheduler', 'hr_prompt', 'hr_negative_prompt', 'hr_checkpoint_name',
  'hr_additional_modules', 'denoising_strength', 'firstphase_width', 'firstphase_height', 'styles', 'subseed', 'subseed_strength',
  'seed_resize_from_h', 'seed_resize_from_w', 'override_settings', 'override_settings_restore_afterwards', 'send_images',
  'save_images', 'do_not_save_samples', 'do_not_save_grid', 'alwayson_scripts', 'script_args', 'script_name', 'eta',
  's_churn', 's_tmax', 's_tmin', 's_noise', 's_min_uncond', 'clip_skip', 'refiner_checkpoint', 'refiner_switch_at',
  'disable_extra_networks', 'comments', 'infotext', 'force_task_id', 'sampler', 'firstpass_image',
]);

/** img2img reads these besides the txt2img fields. */
export const IMG2IMG_FIELDS: ReadonlySet<string> = new Set([...TXT2IMG_FIELDS, 'init_images', 'resize_mode', 'mask',
  'mask_blur', 'mask_blur_x', 'mask_blur_y', 'inpainting_fill', 'inpaint_full_res', 'inpaint_full_res_padding',
  'inpainting_mask_invert', 'initial_noise_multiplier', 'image_cfg_scale', 'include_init_images']);

const RESIZE_MODES = ['stretch', 'crop', 'fit', 'stretch'] as const;
const FILLS = ['fill', 'original', 'latent_noise', 'latent_noise'] as const;

/**
 * img2img and inpainting: the txt2img plan plus the init image (its size unless width/height are
 * given), denoising_strength as strength, and the mask with A1111's fill and full-res options.
 */
export function planImg2img(body: Record<string, unknown>, pc: PlanContext): Txt2ImgPlan {
  // A1111's img2img has no hires fix: enable_hr and its fields are not read there.
  const plan = planTxt2img({ ...body, enable_hr: false }, pc);
  const extra: Record<string, unknown> = {
    init_image: a1111DataUri(String((body.init_images as unknown[])[0])),
    strength: num(body.denoising_strength) ?? 0.75,
    resize_mode: RESIZE_MODES[num(body.resize_mode) ?? 0],
  };
  if ((body.init_images as unknown[]).length > 1) plan.notes.push('init_images: only the first image was used');
  const mask = str(body.mask);
  if (mask) {
    extra.mask_image = a1111DataUri(mask);
    const blur = num(body.mask_blur);
    if (blur !== undefined) extra.mask_blur = Math.min(64, blur);
    extra.inpainting_fill = FILLS[num(body.inpainting_fill) ?? 1];
    if (body.inpaint_full_res === true || body.inpaint_full_res === 1) {
      extra.inpaint_full_res = true;
      const pad = num(body.inpaint_full_res_padding);
      if (pad !== undefined) extra.padding = Math.min(256, pad);
    }
    if (num(body.inpainting_mask_invert) === 1) plan.notes.push('inpainting_mask_invert: not available; white still means repaint');
  }
  plan.requests = plan.requests.map((r) => ({ ...r, task_params: { ...r.task_params, ...extra } }));
  return plan;
}

const U32 = 2 ** 32;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function unsupported(body: Record<string, unknown>, overrides: Record<string, unknown>, notes: string[]): void {
  if (body.restore_faces === true) notes.push('restore_faces: no face restorer is installed; faces were not restored');
  if (body.tiling === true) notes.push('tiling: seamless tiling is not available');
  if (Array.isArray(body.styles) && body.styles.length > 0) notes.push('styles: saved styles do not exist here; only prompt and negative_prompt were used');
  if ((num(body.subseed_strength) ?? 0) > 0) notes.push('subseed_strength: variation seeds are not available');
  if (body.alwayson_scripts && typeof body.alwayson_scripts === 'object' && Object.keys(body.alwayson_scripts).length > 0) {
    notes.push(`alwayson_scripts: extensions are not run here (${Object.keys(body.alwayson_scripts).join(', ')})`);
  }
  const clipSkip = num(overrides.CLIP_stop_at_last_layers) ?? num(body.clip_skip);
  if (clipSkip !== undefined && clipSkip > 1) notes.push(`CLIP skip ${clipSkip}: not available; the last CLIP layer was used`);
  const vae = str(overrides.sd_vae);
  if (vae && !['automatic', 'none', ''].includes(vae.toLowerCase())) notes.push(`sd_vae "${vae}": the model's own VAE was used`);
}

function chooseModel(overrides: Record<string, unknown>, pc: PlanContext, notes: string[]): string | null {
  const asked = str(overrides.sd_model_checkpoint);
  if (asked) {
    const id = resolveCheckpoint(asked, pc.installed);
    if (id) return id;
    notes.push(`override_settings.sd_model_checkpoint "${asked}" is not installed (${pc.installed.join(', ') || 'none'}); the default was used`);
  }
  if (pc.userCheckpoint) {
    const id = resolveCheckpoint(pc.userCheckpoint, pc.installed);
    if (id) return id;
    notes.push(`your sd_model_checkpoint "${pc.userCheckpoint}" is no longer installed; the server default was used`);
  }
  return null;
}

export function planTxt2img(body: Record<string, unknown>, pc: PlanContext): Txt2ImgPlan {
  const notes: string[] = [];
  const overrides = (body.override_settings && typeof body.override_settings === 'object' ? body.override_settings : {}) as Record<string, unknown>;
  unsupported(body, overrides, notes);

  const batch = num(body.batch_size) ?? 1;
  const iters = num(body.n_iter) ?? 1;
  const count = batch * iters;
  if (count > pc.maxImages) {
    throw CompatError.field('batch_size', `batch_size × n_iter = ${count} images is over this server's limit of ${pc.maxImages} per request.`, 422);
  }

  // A1111 makes an unconditional image from an empty prompt; so does a prompt of one space
  // here (it tokenizes to the same start/end tokens), which the shared validator accepts.
  // <lora:name:weight> tags become task_params.loras (lora-tags.ts).
  const tags = takeLoraTags(str(body.prompt) ?? '');
  notes.push(...tags.notes);
  const prompt = tags.prompt;
  const negativePrompt = str(body.negative_prompt) ?? '';
  const params: Record<string, unknown> = { prompt: prompt.trim() === '' ? ' ' : prompt };
  if (tags.loras.length) params.loras = tags.loras;
  if (negativePrompt) params.negative_prompt = negativePrompt;

  const model = chooseModel(overrides, pc, notes);
  if (model) params.model = model;

  const w = num(body.width) ?? 512;
  const h = num(body.height) ?? 512;
  const hires = planHires(body, w, h, pc.upscalers ?? [], notes);
  const maxSide = pc.maxSide?.(model) ?? IMAGE_SIZE.max;
  // With the hires fix the output is the first pass × scale, so the first pass is fitted to max ÷ scale.
  const size = fitSize(w, h, hires ? Math.floor(maxSide / hires.info.scale / 8) * 8 : maxSide);
  if (size.changed) {
    notes.push(hires
      ? `size ${w}x${h} was fitted to ${size.width}x${size.height} so that hr_scale ${hires.info.scale} makes ${hiresSide(size.width, hires.info.scale)}x${hiresSide(size.height, hires.info.scale)} (multiples of 8, at most ${maxSide} a side on this model)`
      : `size ${w}x${h} was fitted to ${size.width}x${size.height} (multiples of 8, at most ${maxSide} a side on this model)`);
  }
  params.width = size.width;
  params.height = size.height;
  if (hires) params.hires = hires.params;

  const steps = num(body.steps);
  if (steps !== undefined) {
    params.steps = Math.min(100, steps);
    if (steps > 100) notes.push(`steps ${steps} was clamped to 100`);
  }
  const cfg = num(body.cfg_scale);
  if (cfg !== undefined) {
    params.guidance_scale = Math.min(30, cfg);
    if (cfg > 30) notes.push(`cfg_scale ${cfg} was clamped to 30`);
  }
  const sampler = chooseSampler(str(body.sampler_name) || str(body.sampler_index), str(body.scheduler));
  notes.push(...sampler.notes);
  if (sampler.scheduler) params.scheduler = sampler.scheduler;

  const asked = num(body.seed);
  let base: number;
  if (asked === undefined || asked < 0) base = randomInt(0, U32 - 1);
  else {
    base = asked % U32;
    if (base !== asked) notes.push(`seed ${asked} was taken modulo 2^32 (${base})`);
  }
  const seeds = Array.from({ length: count }, (_, i) => (base + i) % U32);
  return {
    requests: seeds.map((seed) => ({ task_type: 'image_creation', task_params: { ...params, seed } })),
    seeds, prompt, negativePrompt, notes, model, sendImages: body.send_images !== false, hires: hires?.info ?? null,
  };
}
