/**
 * A1111's hires fix fields on the real service (HTTP, SQLite, worker threads, the generated test
 * models): enable_hr with a latent or an (R-)ESRGAN upscaler name gives a PNG of the scaled size,
 * and `info` carries A1111's hires keys; a bad hr_scale, hr_resize pair, hr_upscaler or strength
 * is a 422 in A1111's shape naming the field with nothing queued; the lists say what hr_upscaler
 * takes; an SDXL checkpoint picked by its A1111 file name runs with the hires fix. Only
 * realesrgan-x4fast is installed here, so "R-ESRGAN 4x+" must run on it (and say so).
 */
import { mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { getJson } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { makeTestModels } from '../support/make-test.js';
import { call, pngSize } from './support.js';

let svc: TestService;
beforeAll(async () => {
  const models = mkdtempSync(join(tmpdir(), 'backserv-compat-hires-models-'));
  const shared = inject('testModelsDir');
  for (const id of readdirSync(shared)) if (id !== 'realesrgan-x4plus') symlinkSync(join(shared, id), join(models, id), 'dir');
  await makeTestModels(models, ['realesrgan-x4fast', 'sdxl-turbo']);
  svc = await startTestService({ BACKSERV_MODELS_DIR: models });
});
afterAll(async () => svc?.close());

const sd = (path: string) => `${svc.url}/sdapi/v1/${path}`;
const lastLine = (infotext: string) => infotext.split('\n').pop()!;

async function total(): Promise<number> {
  return Object.values(await svc.store.countByStatus()).reduce((a, b) => a + b, 0);
}

describe('A1111 hires fix', () => {
  it('latent upscaler: the PNG is width × height × hr_scale; info has the first-pass size and A1111\'s hires keys', async () => {
    const res = await call(sd('txt2img'), {
      body: { prompt: 'a lighthouse', width: 64, height: 96, steps: 2, seed: 7, enable_hr: true, hr_scale: 1.5, hr_upscaler: 'Latent', hr_second_pass_steps: 0, denoising_strength: 0.5 },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await pngSize(res.body.images[0])).toEqual([96, 144]);
    const info = JSON.parse(res.body.info);
    // As A1111: width/height and Size are the first pass's; the Hires keys say how it was enlarged.
    expect([info.width, info.height]).toEqual([64, 96]);
    expect(info.denoising_strength).toBe(0.5);
    expect(info.extra_generation_params).toEqual({ 'Denoising strength': 0.5, 'Hires upscale': 1.5, 'Hires steps': 2, 'Hires upscaler': 'Latent' });
    const line = lastLine(info.infotexts[0]);
    expect(line).toContain('Size: 64x96');
    expect(line).toMatch(/Denoising strength: 0\.5, Hires upscale: 1\.5, Hires steps: 2, Hires upscaler: Latent, Version/);
    expect(info.backserv.hires).toEqual({ width: 96, height: 144, upscaler: 'latent' });
    expect(info.backserv.notes).toEqual([]);
    // The task really ran the hires pass: hr_second_pass_steps 0 = the first pass's steps.
    const q = await getJson(`${svc.url}/query_task/${info.backserv.ticket_ids[0]}`);
    expect(q.body.result).toMatchObject({ width: 96, height: 144, hires: { scale: 1.5, steps: 2, strength: 0.5, upscaler: 'latent', base_width: 64, base_height: 96 } });
  });

  it('defaults: hr_scale 2, Latent, strength 0.7; hr_second_pass_steps sets the second pass\'s steps', async () => {
    const res = await call(sd('txt2img'), { body: { prompt: 'x', width: 64, height: 64, steps: 1, enable_hr: true, hr_second_pass_steps: 3 } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await pngSize(res.body.images[0])).toEqual([128, 128]);
    const info = JSON.parse(res.body.info);
    expect(lastLine(info.infotexts[0])).toMatch(/Denoising strength: 0\.7, Hires upscale: 2, Hires steps: 3, Hires upscaler: Latent/);
  });

  it('"R-ESRGAN 4x+" runs on the installed Real-ESRGAN model (x4fast here) and says so; hr_resize_x sets the scale', async () => {
    const res = await call(sd('txt2img'), {
      body: { prompt: 'a boat', width: 64, height: 64, steps: 1, seed: 2, enable_hr: true, hr_upscaler: 'R-ESRGAN 4x+', hr_resize_x: 128, hr_resize_y: 0, denoising_strength: 0.4 },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await pngSize(res.body.images[0])).toEqual([128, 128]);
    const info = JSON.parse(res.body.info);
    expect(info.backserv.hires).toEqual({ width: 128, height: 128, upscaler: 'realesrgan-x4fast' });
    expect(info.backserv.notes.join(' ')).toContain('"R-ESRGAN 4x+" ran as realesrgan-x4fast');
    expect(lastLine(info.infotexts[0])).toMatch(/Denoising strength: 0\.4, Hires resize: 128x0, Hires upscale: 2, Hires steps: 1, Hires upscaler: R-ESRGAN 4x\+/);
    const q = await getJson(`${svc.url}/query_task/${info.backserv.ticket_ids[0]}`);
    expect((q.body.result as { hires: unknown }).hires).toMatchObject({ upscaler: 'realesrgan-x4fast', scale: 2 });
  });

  it('bad hires fields: 422 in A1111\'s shape naming the field, nothing queued; without enable_hr they are not read', async () => {
    const before = await total();
    const base = { prompt: 'x', width: 64, height: 64, steps: 1, enable_hr: true };
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ hr_scale: 3 }, 'hr_scale', /hr_scale.*1 to 2/],
      [{ hr_scale: 0.5 }, 'hr_scale', /hr_scale/],
      [{ hr_resize_x: 256 }, 'hr_resize_x', /hr_resize_x.*4\.000/],
      [{ hr_resize_x: 128, hr_resize_y: 96 }, 'hr_resize_x', /does not scale 64x64 by one factor/],
      [{ hr_upscaler: 'SwinIR 4x' }, 'hr_upscaler', /"SwinIR 4x" is not available here; accepted: None, Latent, .*R-ESRGAN 4x\+.*realesrgan-x4fast/],
      [{ denoising_strength: 1.5 }, 'denoising_strength', /denoising_strength 1\.5/],
      [{ hr_second_pass_steps: -1 }, 'hr_second_pass_steps', /hr_second_pass_steps/],
    ];
    for (const [extra, field, message] of cases) {
      const res = await call(sd('txt2img'), { body: { ...base, ...extra } });
      expect(res.status, JSON.stringify(extra)).toBe(422);
      expect(res.body).toMatchObject({ error: 'invalid_request', detail: [{ loc: ['body', field], type: 'value_error' }] });
      expect(res.body.message, JSON.stringify(extra)).toMatch(message);
    }
    expect(await total()).toBe(before);
    // SillyTavern sends hr_* with enable_hr false: read nothing, refuse nothing.
    const off = await call(sd('txt2img'), { body: { prompt: 'x', width: 64, height: 64, steps: 1, enable_hr: false, hr_scale: 5, hr_upscaler: 'SwinIR 4x' } });
    expect(off.status).toBe(200);
    expect(await pngSize(off.body.images[0])).toEqual([64, 64]);
  });

  it('upscalers and latent-upscale-modes list what hr_upscaler takes, and each listed name is accepted', async () => {
    const ups = (await call(sd('upscalers'))).body as { name: string; model_name: string | null }[];
    expect(ups[0].name).toBe('None');
    expect(ups).toEqual(expect.arrayContaining([
      expect.objectContaining({ name: 'R-ESRGAN 4x+', model_name: 'realesrgan-x4fast' }),
      expect.objectContaining({ name: 'realesrgan-x4fast', model_name: 'realesrgan-x4fast' }),
    ]));
    expect(ups.map((u) => u.model_name)).not.toContain('realesrgan-x4plus');
    const modes = ((await call(sd('latent-upscale-modes'))).body as { name: string }[]).map((m) => m.name);
    expect(modes).toContain('Latent');
    expect(modes).toContain('Latent (nearest)');
    const res = await call(sd('txt2img'), { body: { prompt: 'x', width: 64, height: 64, steps: 1, enable_hr: true, hr_scale: 1.25, hr_upscaler: 'Latent (nearest)' } });
    expect(res.status).toBe(200);
    expect(await pngSize(res.body.images[0])).toEqual([80, 80]);
    expect(JSON.parse(res.body.info).backserv.notes.join(' ')).toContain('bilinearly');
  });

  it('SDXL: a checkpoint title from a real A1111 (sd_xl_turbo_1.0_fp16.safetensors [hash]) picks sdxl-turbo; hires runs on it', async () => {
    const res = await call(sd('txt2img'), {
      body: {
        prompt: 'a castle', width: 64, height: 64, steps: 1, seed: 4, enable_hr: true, hr_scale: 2, hr_upscaler: 'ESRGAN_4x',
        override_settings: { sd_model_checkpoint: 'sd_xl_turbo_1.0_fp16.safetensors [e869ac7d69]' },
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await pngSize(res.body.images[0])).toEqual([128, 128]);
    const info = JSON.parse(res.body.info);
    expect(info.sd_model_name).toBe('sdxl-turbo');
    expect(lastLine(info.infotexts[0])).toContain('Model: sdxl-turbo');
    expect(info.backserv.hires.upscaler).toBe('realesrgan-x4fast');
  });
});
