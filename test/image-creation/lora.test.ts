/**
 * image_creation with LoRAs through the real pipeline on the sd-turbo test export (named as
 * torch names things): weight 0 gives the base image exactly, weight > 0 changes it, UNet and
 * text-encoder LoRAs both take effect, a repeated combination reuses its merged sessions (the
 * session cache's creation counter), an fp16 export with external data merges too, and each bad
 * LoRA fails with invalid_params naming its field.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { convertModelToFp16 } from '../../src/models/convert/precision/to-fp16.js';
import { runImageCreation } from '../../src/pipelines/image-creation/index.js';
import type { WorkerEnv } from '../../src/pipelines/worker-env.js';
import { SessionCache, chooseDevice } from '../../src/runtime/index.js';
import { TaskError } from '../../src/tasks/task-errors.js';
import { directContext } from '../helpers/pipeline-context.js';
import { makeLora, TEST_LAYERS, writeSafetensors } from '../support/safetensors-write.js';

const sessions = new SessionCache({ device: chooseDevice('cpu'), intraOpThreads: 1, maxDerived: 4 }, 16);
let loraDir: string;

beforeAll(() => {
  loraDir = mkdtempSync(join(tmpdir(), 'backserv-loras-'));
  const put = (name: string, bytes: Uint8Array) => writeFileSync(join(loraDir, `${name}.safetensors`), bytes);
  put('style', makeLora([{ ...TEST_LAYERS.unetToQ, alpha: 2 }, TEST_LAYERS.unetToOut, TEST_LAYERS.teQ], 'kohya', 'F16', 5).bytes);
  put('unet-peft', makeLora([TEST_LAYERS.unetToOut, TEST_LAYERS.convIn], 'diffusers', 'F32', 6).bytes);
  put('te-only', makeLora([{ ...TEST_LAYERS.teOut, alpha: 2 }], 'kohya', 'F32', 7).bytes);
  put('sdxl', makeLora([{ path: 'input_blocks.4.1.proj_in', component: 'unet', inShape: [640], out: 640, rank: 4 }], 'kohya').bytes);
  put('broken', writeSafetensors({ 'lora_unet_conv_in.lora_down.weight': { dtype: 'F32', shape: [2, 4, 3, 3], data: new Float32Array(72) } }).subarray(0, 60));
});

async function create(loras: unknown[] | undefined, modelsDir = inject('testModelsDir'), prompt = 'a red fox'): Promise<{ pixels: Buffer; result: Record<string, unknown> }> {
  const ctx = directContext({ tag: 'lora', modelsDir, sessions }, { env: { modelsDir, loraDir } as WorkerEnv });
  const result = await runImageCreation({ prompt, width: 64, height: 64, seed: 5, ...(loras ? { loras } : {}) }, ctx);
  const { data } = await sharp(readFileSync(join(ctx.resultsDir, result.file))).raw().toBuffer({ resolveWithObject: true });
  return { pixels: data, result };
}

const differs = (a: Buffer, b: Buffer) => a.some((v, i) => v !== b[i]);

async function failure(loras: unknown[]): Promise<TaskError> {
  const err = await create(loras).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(TaskError);
  return err as TaskError;
}

describe('image_creation with LoRAs', () => {
  it('weight 0 gives the base image exactly; weight 1 changes it and reports what was merged where', async () => {
    const base = await create(undefined);
    const zero = await create([{ name: 'style', weight: 0 }]);
    expect(differs(zero.pixels, base.pixels)).toBe(false);
    const one = await create([{ name: 'style', weight: 1 }]);
    expect(differs(one.pixels, base.pixels)).toBe(true);
    expect(one.result.loras).toEqual([{ name: 'style', weight: 1, modules: 3, unet_layers: 2, text_encoder_layers: 1 }]);
  });

  it('a text-encoder-only LoRA and a diffusers-named UNet LoRA each change the image', async () => {
    const base = await create(undefined);
    const te = await create([{ name: 'te-only', weight: 1 }]);
    expect(te.result.loras).toEqual([{ name: 'te-only', weight: 1, modules: 1, unet_layers: 0, text_encoder_layers: 1 }]);
    expect(differs(te.pixels, base.pixels)).toBe(true);
    const peft = await create([{ name: 'unet-peft' }]);
    expect(peft.result.loras).toEqual([{ name: 'unet-peft', weight: 1, modules: 2, unet_layers: 2, text_encoder_layers: 0 }]);
    expect(differs(peft.pixels, base.pixels)).toBe(true);
  });

  it('the same combination reuses its merged sessions; another weight builds new ones', async () => {
    const combo = [{ name: 'style', weight: 0.5 }, { name: 'te-only', weight: -1 }];
    const first = await create(combo);
    const created = sessions.created;
    const again = await create(combo);
    expect(sessions.created).toBe(created);
    expect(differs(again.pixels, first.pixels)).toBe(false);
    await create([{ name: 'style', weight: 0.75 }, { name: 'te-only', weight: -1 }]);
    expect(sessions.created).toBe(created + 2); // a merged UNet and text encoder
  });

  it('merges into an fp16 export whose weights live in an external data file', async () => {
    const models = mkdtempSync(join(tmpdir(), 'backserv-lora-fp16-'));
    const dir = join(models, 'sd-turbo');
    cpSync(join(inject('testModelsDir'), 'sd-turbo'), dir, { recursive: true, dereference: true });
    for (const c of ['unet', 'text_encoder']) {
      // Tensors over 1000 bytes go to the side file: the text encoder's q_proj weight (32×32 f16) among them.
      convertModelToFp16(join(inject('testModelsDir'), 'sd-turbo', c, 'model.onnx'), join(dir, c, 'model.onnx'), { externalThreshold: 1000, keepIoTypes: true });
    }
    expect(readFileSync(join(dir, 'text_encoder', 'model.onnx.data')).length).toBeGreaterThan(2048);
    const base = await create(undefined, models);
    const zero = await create([{ name: 'style', weight: 0 }], models);
    expect(differs(zero.pixels, base.pixels)).toBe(false);
    const one = await create([{ name: 'style', weight: 1 }], models);
    expect(one.result.loras).toEqual([{ name: 'style', weight: 1, modules: 3, unet_layers: 2, text_encoder_layers: 1 }]);
    expect(differs(one.pixels, base.pixels)).toBe(true);
    // The merged model written beside the original for loading is gone.
    expect(readdirSync(join(dir, 'text_encoder')).filter((f) => f.startsWith('.lora-'))).toEqual([]);
  });

  it('fails with invalid_params naming the field: not installed, matching nothing, a broken file', async () => {
    const missing = await failure([{ name: 'nope' }]);
    expect(missing.code).toBe('invalid_params');
    expect(missing.message).toMatch(/^task_params\.loras\[0\]\.name: no LoRA "nope" is installed/);
    const none = await failure([{ name: 'style' }, { name: 'sdxl', weight: 0.5 }]);
    expect(none.code).toBe('invalid_params');
    expect(none.message).toMatch(/^task_params\.loras\[1\]\.name: none of the 1 layers of the LoRA "sdxl" matches a layer of the model sd-turbo/);
    const broken = await failure([{ name: 'broken' }]);
    expect(broken.message).toMatch(/^task_params\.loras\[0\]\.name: the LoRA "broken" is not a safetensors file/);
    const weight = await failure([{ name: 'style', weight: 9 }]);
    expect(weight.message).toMatch(/task_params\.loras\[0\]\.weight/);
    expect(JSON.stringify([missing, none, broken].map((e) => e.message))).not.toContain(loraDir);
  });
});
