/**
 * SDXL and the hires fix through the real service (HTTP, SQLite, worker threads): bad input that
 * depends on the installed models (an SDXL-only field or an SDXL size on an SD 1.x/2.x model, a
 * hires output over the model's limit, an unknown upscaler) and hires scale 3 get a 400 naming the
 * field with nothing queued; an SDXL request with a pixel-upscaler hires pass completes at the
 * scaled size.
 */
import { mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fixtureImage, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { makeTestModels } from '../support/make-test.js';

let svc: TestService;
let photo: string;
beforeAll(async () => {
  const models = mkdtempSync(join(tmpdir(), 'backserv-sdxl-svc-models-'));
  const shared = inject('testModelsDir');
  for (const id of readdirSync(shared)) symlinkSync(join(shared, id), join(models, id), 'dir');
  await makeTestModels(models, ['sdxl-base', 'realesrgan-x4fast']);
  svc = await startTestService({ BACKSERV_MODELS_DIR: models });
  const png = await sharp(fixtureImage('portrait_astronaut.jpg')).resize(64, 64).png().toBuffer();
  photo = `data:image/png;base64,${png.toString('base64')}`;
});
afterAll(async () => {
  await svc?.close();
});

async function total(): Promise<number> {
  return Object.values(await svc.store.countByStatus()).reduce((a, b) => a + b, 0);
}

describe('SDXL and hires through the service', () => {
  it('model-dependent and hires mistakes get a 400 naming the field; nothing is queued', async () => {
    const before = await total();
    const cases: [Record<string, unknown>, RegExp][] = [
      // sd-turbo is the preferred model: SDXL-only fields and sizes are refused on it.
      [{ prompt_2: 'a dog' }, /task_params\.prompt_2 is for SDXL models; sd-turbo/],
      [{ model: 'sd-turbo', original_size: { width: 512, height: 512 } }, /task_params\.original_size/],
      [{ model: 'sd-turbo', width: 1536, height: 512 }, /task_params\.width: sd-turbo takes at most 1024/],
      [{ model: 'sdxl-base', width: 2048 }, /task_params\.width/],
      [{ hires: { scale: 3 } }, /task_params\.hires\.scale/],
      [{ hires: { scale: 2, upscaler: 'waifu2x' } }, /task_params\.hires\.upscaler: "waifu2x" is not an installed upscaler; use "latent" or one of .*realesrgan-x4fast/],
      [{ model: 'sdxl-base', width: 1024, height: 1024, hires: { scale: 2 } }, /task_params\.hires\.scale: 1024 × 2 is 2048 px/],
      [{ hires: { scale: 2 }, init_image: photo }, /task_params\.hires is for text-to-image/],
      [{ hires: { strength: 0 } }, /task_params\.hires\.strength/],
    ];
    for (const [params, field] of cases) {
      const res = await submit(svc.url, 'image_creation', { prompt: 'x', ...params });
      expect(res.status, JSON.stringify(params)).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.body.message as string, JSON.stringify(params)).toMatch(field);
    }
    expect(await total()).toBe(before);
  });

  it('sdxl-base with a realesrgan-x4fast hires pass completes at the scaled size', async () => {
    const res = await submit(svc.url, 'image_creation', {
      prompt: 'a lighthouse', model: 'sdxl-base', width: 96, height: 64, steps: 2, seed: 9, prompt_2: 'oil painting',
      hires: { scale: 2, steps: 1, strength: 0.5, upscaler: 'realesrgan-x4fast' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const done = await waitFor(svc.url, res.body.ticket_id as string);
    expect(done.status).toBe('Completed');
    expect(done.result).toMatchObject({ model: 'sdxl-base', width: 192, height: 128, hires: { scale: 2, steps: 1, upscaler: 'realesrgan-x4fast', base_width: 96, base_height: 64 } });
  });
});
