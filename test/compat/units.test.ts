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
