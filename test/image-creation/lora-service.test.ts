/**
 * LoRAs through the real service (HTTP, SQLite, worker host): /ready lists the LoRA folder
 * (BACKSERV_LORA_DIR); a LoRA that is not installed, a weight out of bounds, a broken or non-LoRA
 * file, a LoRA named twice and a LoRA whose keys match no layer of the model are 400s naming the
 * field with nothing queued; a good one, and one that matches only in part, complete and say
 * what they merged. The A1111 compat routes list them and read `<lora:name:weight>` prompt tags.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, postJson, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { makeLora, TEST_LAYERS, writeSafetensors, type LoraLayer } from '../support/safetensors-write.js';

let svc: TestService;
let loraDir: string;
beforeAll(async () => {
  loraDir = mkdtempSync(join(tmpdir(), 'backserv-svc-loras-'));
  writeFileSync(join(loraDir, 'style.safetensors'), makeLora([TEST_LAYERS.unetToQ, TEST_LAYERS.teQ], 'kohya', 'F16', 8).bytes);
  writeFileSync(join(loraDir, 'sdxl-only.safetensors'), makeLora([SDXL_LAYER], 'kohya').bytes);
  writeFileSync(join(loraDir, 'partial.safetensors'), makeLora([SDXL_LAYER, TEST_LAYERS.unetToOut], 'diffusers').bytes);
  writeFileSync(join(loraDir, 'cut.safetensors'), makeLora([TEST_LAYERS.unetToQ], 'kohya').bytes.subarray(0, 40));
  writeFileSync(join(loraDir, 'checkpoint.safetensors'), writeSafetensors({ 'model.diffusion_model.out.2.weight': { dtype: 'F32', shape: [4], data: new Float32Array(4) } }));
  svc = await startTestService({ BACKSERV_LORA_DIR: loraDir });
});
afterAll(async () => {
  await svc?.close();
});

const SDXL_LAYER: LoraLayer = { path: 'input_blocks.4.1.proj_in', component: 'unet', inShape: [640], out: 640, rank: 4 };
const params = (loras: unknown[]) => ({ prompt: 'a lighthouse', width: 64, height: 64, seed: 3, loras });

describe('LoRAs through the service', () => {
  it('/ready lists the installed LoRAs', async () => {
    const ready = await getJson(`${svc.url}/ready`);
    expect((ready.body.loras as { name: string }[]).map((l) => l.name)).toEqual(['checkpoint', 'cut', 'partial', 'sdxl-only', 'style']);
  });

  it('bad LoRA input is a 400 naming the field, and nothing is queued', async () => {
    const before = (await getJson(`${svc.url}/ready`)).body.queue;
    const cases: [unknown[], RegExp][] = [
      [[{ name: 'missing' }], /^task_params\.loras\[0\]\.name: no LoRA "missing" is installed \(installed: checkpoint, cut, partial, sdxl-only, style\)/],
      [[{ name: 'style', weight: 4.5 }], /^task_params\.loras\.0\.weight must be <= 4/],
      [[{ name: '../style' }], /^task_params\.loras\.0\.name must match pattern/],
      [[{ name: 'style' }, { name: 'cut' }], /^task_params\.loras\[1\]\.name: the LoRA "cut" is not a safetensors file/],
      [[{ name: 'checkpoint' }], /^task_params\.loras\[0\]\.name: the LoRA "checkpoint" holds no LoRA weights/],
      [[{ name: 'sdxl-only' }], /^task_params\.loras\[0\]\.name: none of the 1 layers of the LoRA "sdxl-only" matches a layer of the model sd-turbo/],
      [[{ name: 'style' }, { name: 'sdxl-only', weight: 0.5 }], /^task_params\.loras\[1\]\.name: none of the 1 layers of the LoRA "sdxl-only" matches/],
      [[{ name: 'style' }, { name: 'style', weight: 0.5 }], /^task_params\.loras\[1\]\.name: "style" is already task_params\.loras\[0\]/],
    ];
    for (const [loras, message] of cases) {
      const { status, body } = await submit(svc.url, 'image_creation', params(loras));
      expect(status, JSON.stringify(loras)).toBe(400);
      expect(body.error).toBe('invalid_request');
      expect(body.message).toMatch(message);
      expect(body.message).not.toContain(loraDir);
    }
    expect((await getJson(`${svc.url}/ready`)).body.queue).toEqual(before);
  });

  it('a LoRA that matches the model only in part is accepted, and the result says how many of its modules were merged', async () => {
    const { status, body } = await submit(svc.url, 'image_creation', params([{ name: 'partial' }]));
    expect(status).toBe(202);
    const done = await waitFor(svc.url, body.ticket_id as string);
    expect(done.status).toBe('Completed');
    expect((done.result as { loras: unknown }).loras).toEqual([{ name: 'partial', weight: 1, modules: 2, unet_layers: 1, text_encoder_layers: 0 }]);
  });

  it('A1111 compat: /sdapi/v1/loras lists them; a <lora:name:weight> prompt tag applies one, an unknown one is an error', async () => {
    const list = await getJson(`${svc.url}/sdapi/v1/loras`);
    expect(list.status).toBe(200);
    expect(list.body).toContainEqual({ name: 'style', alias: 'style', path: 'style.safetensors', metadata: {} });
    const base = await postJson(`${svc.url}/sdapi/v1/txt2img`, { prompt: 'a lighthouse', width: 64, height: 64, seed: 3, steps: 1 });
    const tagged = await postJson(`${svc.url}/sdapi/v1/txt2img`, { prompt: 'a lighthouse <lora:style:0.9>', width: 64, height: 64, seed: 3, steps: 1 });
    expect(base.status).toBe(200);
    expect(tagged.status).toBe(200);
    const pixels = async (a: { body: Record<string, unknown> }) => sharp(Buffer.from((a.body.images as string[])[0], 'base64')).raw().toBuffer();
    expect((await pixels(tagged)).equals(await pixels(base))).toBe(false);
    const zero = await postJson(`${svc.url}/sdapi/v1/txt2img`, { prompt: 'a lighthouse <lora:style:0>', width: 64, height: 64, seed: 3, steps: 1 });
    expect((await pixels(zero)).equals(await pixels(base))).toBe(true);
    const unknown = await postJson(`${svc.url}/sdapi/v1/txt2img`, { prompt: 'a lighthouse <lora:nope:1>', width: 64, height: 64 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toBe('invalid_request');
    expect(String(unknown.body.message)).toContain('task_params.loras[0].name: no LoRA "nope" is installed');
  });

  it('a good LoRA completes and the result says what was merged', async () => {
    const { status, body } = await submit(svc.url, 'image_creation', params([{ name: 'style', weight: 0.8 }]));
    expect(status).toBe(202);
    const done = await waitFor(svc.url, body.ticket_id as string);
    expect(done.status).toBe('Completed');
    expect((done.result as { loras: unknown }).loras).toEqual([{ name: 'style', weight: 0.8, modules: 2, unet_layers: 1, text_encoder_layers: 1 }]);
  });
});
