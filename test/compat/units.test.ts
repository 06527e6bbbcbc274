/**
 * The compat mapping rules on their own: A1111 sampler names (the table in the issue), size
 * fitting, checkpoint names as clients send them, seeds of a batch, OpenAI model names, and
 * the document: compat paths under their own tags in a valid OpenAPI 3.1 file.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { buildOpenApi } from '../../src/api/openapi.js';
import { chooseSampler } from '../../src/compat/a1111/samplers.js';
import { planTxt2img } from '../../src/compat/a1111/txt2img-plan.js';
import { laneFor } from '../../src/compat/identity.js';
import { resolveCheckpoint } from '../../src/compat/models.js';
import { compatOpenApi } from '../../src/compat/openapi.js';
import { chooseModel } from '../../src/compat/openai/model-names.js';
import { planGenerations } from '../../src/compat/openai/generations.js';
import { fitSize } from '../../src/compat/size.js';
import { CompatError } from '../../src/compat/errors.js';
import { acceptedUpscalers, resolveUpscaler } from '../../src/compat/a1111/upscaler-names.js';

describe('A1111 samplers', () => {
  it('maps the names clients send to our schedulers', () => {
    expect(chooseSampler('Euler', undefined).scheduler).toBe('euler');
    expect(chooseSampler('Euler a', undefined).scheduler).toBe('euler_a');
    expect(chooseSampler('DDIM', undefined).scheduler).toBe('ddim');
    expect(chooseSampler('LCM', undefined).scheduler).toBe('lcm');
    expect(chooseSampler('DPM++ 2M Karras', undefined).scheduler).toBe('dpmpp_2m_karras');
    expect(chooseSampler('DPM++ 2M', 'Karras')).toEqual({ scheduler: 'dpmpp_2m_karras', notes: [] });
    expect(chooseSampler('DPM++ 2M', 'Automatic')).toEqual({ scheduler: 'dpmpp_2m_karras', notes: [] });
    expect(chooseSampler('k_euler_a', undefined).scheduler).toBe('euler_a');
  });

  it('an unknown sampler or schedule falls back and says so', () => {
    const unknown = chooseSampler('UniPC', undefined);
    expect(unknown.scheduler).toBeUndefined();
    expect(unknown.notes[0]).toContain('UniPC');
    const schedule = chooseSampler('Euler', 'Exponential');
    expect(schedule.scheduler).toBe('euler');
    expect(schedule.notes[0]).toContain('Exponential');
  });
});

describe('sizes and names', () => {
  it('fits sizes into 64–1024, multiples of 8, aspect kept', () => {
    expect(fitSize(512, 512)).toEqual({ width: 512, height: 512, changed: false });
    expect(fitSize(1792, 1024)).toEqual({ width: 1024, height: 584, changed: true });
    expect(fitSize(1000, 30)).toEqual({ width: 1000, height: 64, changed: true });
    expect(fitSize(513, 511)).toEqual({ width: 512, height: 512, changed: true });
  });

  it('resolves checkpoint titles with a hash, a file extension or a folder', () => {
    const installed = ['sd-turbo', 'sd15'];
    expect(resolveCheckpoint('sd15 [abcdef1234]', installed)).toBe('sd15');
    expect(resolveCheckpoint('models/Stable-diffusion/SD15.safetensors', installed)).toBe('sd15');
    expect(resolveCheckpoint('v1-5-pruned.ckpt', installed)).toBeNull();
    // Official file names, as a real A1111 titles them, pick our ids when installed.
    const xl = ['sd-turbo', 'sdxl-base', 'sdxl-turbo'];
    expect(resolveCheckpoint('sd_xl_base_1.0.safetensors [31e35c80fc]', xl)).toBe('sdxl-base');
    expect(resolveCheckpoint('SDXL/sd_xl_turbo_1.0_fp16.safetensors', xl)).toBe('sdxl-turbo');
    expect(resolveCheckpoint('sdxl-turbo', xl)).toBe('sdxl-turbo');
    expect(resolveCheckpoint('sd_xl_base_1.0.safetensors', installed)).toBeNull();
  });

  it('lanes: valid user ids as they are, others as a stable digest', () => {
    expect(laneFor('alice')).toBe('alice');
    expect(laneFor('Jane Doe')).toMatch(/^user-[0-9a-f]{16}$/);
    expect(laneFor('Jane Doe')).toBe(laneFor('Jane Doe'));
  });

  it('OpenAI model names: aliases → the configured default, ids pass, others 404', () => {
    expect(chooseModel('dall-e-3', ['sd-turbo'], null)).toEqual({ id: undefined, alias: true, name: 'dall-e-3' });
    expect(chooseModel('gpt-image-1.5', ['sd-turbo', 'sd15'], 'sd15').id).toBe('sd15');
    expect(chooseModel('sd-turbo', ['sd-turbo'], null)).toEqual({ id: 'sd-turbo', alias: false, name: 'sd-turbo' });
    expect(() => chooseModel('whisper-1', ['sd-turbo'], null)).toThrow(CompatError);
    expect(() => chooseModel('dall-e-2', ['sd-turbo'], 'sd15')).toThrow(/not installed/);
    const plan = planGenerations({ prompt: 'x', n: 3, size: 'auto' }, { id: undefined, alias: true, name: 'dall-e-2' });
    expect(plan.requests).toHaveLength(3);
    expect(plan.format).toBe('url');
    expect(plan.requests[0].task_params).toEqual({ prompt: 'x' });
  });
});

describe('txt2img plan', () => {
  const pc = { installed: ['sd-turbo'], userCheckpoint: null, maxImages: 16 };

  it('one task per image with A1111 seeds (seed, seed+1, … modulo 2^32)', () => {
    const plan = planTxt2img({ prompt: 'p', seed: 2 ** 32 - 1, batch_size: 2, n_iter: 2 }, pc);
    expect(plan.seeds).toEqual([4294967295, 0, 1, 2]);
    expect(plan.requests.map((r) => r.task_params.seed)).toEqual(plan.seeds);
    expect(plan.requests[0].task_params).toMatchObject({ prompt: 'p', width: 512, height: 512 });
  });

  it('random seed for -1; clamps steps and cfg with a note; empty prompt is unconditional', () => {
    const plan = planTxt2img({ prompt: '', seed: -1, steps: 150, cfg_scale: 50 }, pc);
    expect(plan.seeds[0]).toBeGreaterThanOrEqual(0);
    expect(plan.requests[0].task_params).toMatchObject({ prompt: ' ', steps: 100, guidance_scale: 30 });
    expect(plan.notes.join(' ')).toMatch(/steps 150.*cfg_scale 50/);
  });

  it('more images than the limit is a 422', () => {
    expect(() => planTxt2img({ prompt: 'p', batch_size: 5, n_iter: 4 }, pc)).toThrow(expect.objectContaining({ status: 422 }));
  });
});

describe('A1111 hires fix plan', () => {
  const pc = { installed: ['sd-turbo', 'sdxl-base'], userCheckpoint: null, maxImages: 16, upscalers: ['realesrgan-x4fast', 'realesrgan-x4plus'],
    maxSide: (m: string | null) => (m === 'sdxl-base' ? 1536 : 1024) };
  const hires = (body: Record<string, unknown>) => planTxt2img({ prompt: 'p', enable_hr: true, ...body }, pc);

  it('maps enable_hr and hr_* onto task_params.hires; hr_second_pass_steps 0 leaves the steps to the first pass\'s', () => {
    const plan = hires({ width: 512, height: 512, hr_scale: 1.5, hr_upscaler: 'Latent', hr_second_pass_steps: 0, denoising_strength: 0.55 });
    expect(plan.requests[0].task_params).toMatchObject({ width: 512, height: 512, hires: { scale: 1.5, strength: 0.55, upscaler: 'latent' } });
    expect(plan.requests[0].task_params.hires).not.toHaveProperty('steps');
    expect(hires({ hr_second_pass_steps: 12 }).requests[0].task_params.hires).toEqual({ scale: 2, strength: 0.7, upscaler: 'latent', steps: 12 });
    expect(planTxt2img({ prompt: 'p', hr_scale: 9 }, pc).requests[0].task_params).not.toHaveProperty('hires');
    expect(planTxt2img({ prompt: 'p', hr_scale: 9 }, pc).hires).toBeNull();
  });

  it('the first pass is fitted so the output stays within the model\'s side (1024, SDXL 1536)', () => {
    const sd = hires({ width: 1500, height: 700, hr_scale: 2 });
    expect(sd.requests[0].task_params).toMatchObject({ width: 512, height: 240 });
    expect(sd.notes.join(' ')).toContain('makes 1024x480');
    const xl = hires({ width: 1024, height: 1024, hr_scale: 1.5, override_settings: { sd_model_checkpoint: 'sdxl-base' } });
    expect(xl.requests[0].task_params).toMatchObject({ model: 'sdxl-base', width: 1024, height: 1024 });
    const xlPlain = planTxt2img({ prompt: 'p', width: 1216, height: 832, override_settings: { sd_model_checkpoint: 'sdxl-base' } }, pc);
    expect(xlPlain.requests[0].task_params).toMatchObject({ width: 1216, height: 832 });
    expect(xlPlain.notes).toEqual([]);
  });

  it('hr_resize_x/y give the scale; inconsistent or out-of-range ones are 422 naming the field', () => {
    expect(hires({ width: 512, height: 256, hr_resize_x: 768 }).requests[0].task_params.hires).toMatchObject({ scale: 1.5 });
    expect(hires({ width: 512, height: 256, hr_resize_y: 384 }).requests[0].task_params.hires).toMatchObject({ scale: 1.5 });
    expect(hires({ width: 512, height: 256, hr_resize_x: 768, hr_resize_y: 384, hr_scale: 2 }).requests[0].task_params.hires).toMatchObject({ scale: 1.5 });
    const field = (body: Record<string, unknown>) => {
      try {
        hires(body);
      } catch (e) {
        return [(e as CompatError).status, (e as CompatError).field];
      }
      return null;
    };
    expect(field({ width: 512, height: 256, hr_resize_x: 768, hr_resize_y: 512 })).toEqual([422, 'hr_resize_x']);
    expect(field({ width: 512, height: 256, hr_resize_y: 1024 })).toEqual([422, 'hr_resize_y']);
    expect(field({ hr_scale: 2.5 })).toEqual([422, 'hr_scale']);
    expect(field({ hr_upscaler: 'LDSR' })).toEqual([422, 'hr_upscaler']);
    expect(field({ denoising_strength: -0.1 })).toEqual([422, 'denoising_strength']);
  });

  it('A1111 upscaler names: latent modes and None → latent; (R-)ESRGAN names → x4plus when installed, else x4fast; unknown → null', () => {
    for (const n of ['None', 'Latent', 'latent (antialiased)', 'Latent (nearest-exact)']) expect(resolveUpscaler(n, [])?.kind, n).toBe('latent');
    expect(resolveUpscaler('R-ESRGAN 4x+', ['realesrgan-x4fast', 'realesrgan-x4plus'])).toMatchObject({ kind: 'model', id: 'realesrgan-x4plus' });
    expect(resolveUpscaler('R-ESRGAN 4x+ Anime6B', ['realesrgan-x4fast'])).toMatchObject({ kind: 'model', id: 'realesrgan-x4fast' });
    expect(resolveUpscaler('ESRGAN_4x', ['realesrgan-x4plus'])).toMatchObject({ kind: 'model', id: 'realesrgan-x4plus' });
    expect(resolveUpscaler('realesrgan-x4plus', ['realesrgan-x4plus'])).toMatchObject({ kind: 'model', id: 'realesrgan-x4plus' });
    expect(resolveUpscaler('R-ESRGAN 4x+', [])).toBeNull();
    expect(resolveUpscaler('SwinIR 4x', ['realesrgan-x4plus'])).toBeNull();
    expect(acceptedUpscalers([])).not.toContain('R-ESRGAN 4x+');
    expect(hires({ hr_upscaler: 'R-ESRGAN 4x+' }).notes.join(' ')).toContain('ran as realesrgan-x4plus');
  });
});

describe('OpenAPI', () => {
  it('the compat paths are in the document under their own tags, and it is valid OpenAPI 3.1', async () => {
    const doc = buildOpenApi({ version: '1', authRequired: true, extra: [compatOpenApi()] }) as {
      paths: Record<string, Record<string, { tags?: string[] }>>; tags: { name: string }[];
    };
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(doc.tags.map((t) => t.name)).toEqual(['Back.Serv', 'AUTOMATIC1111 compatibility', 'OpenAI Images compatibility']);
    expect(doc.paths['/sdapi/v1/txt2img'].post.tags).toEqual(['AUTOMATIC1111 compatibility']);
    expect(doc.paths['/v1/images/generations'].post.tags).toEqual(['OpenAI Images compatibility']);
    expect(doc.paths['/submit_task'].post.tags).toEqual(['Back.Serv']);
  });
});
