/**
 * LoRAs on SDXL's second text encoder (OpenCLIP bigG, `text_encoder_2/`): kohya `lora_te2_…` and
 * diffusers `text_encoder_2.…` keys are merged into it (the q_proj weight read back equals
 * W + w·up·down·alpha/rank, and its hidden states and pooled text_embeds change), a te1-only LoRA
 * leaves it untouched, and the pipeline's result says how many layers went into it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeModel, dimsOf, floatValues } from '../../src/models/convert/onnx-read.js';
import { mergeComponent } from '../../src/models/lora/lora-apply.js';
import { parseLora } from '../../src/models/lora/lora-file.js';
import { runImageCreation } from '../../src/pipelines/image-creation/index.js';
import { loraSessions } from '../../src/pipelines/image-creation/lora-sessions.js';
import { loadTokenizer } from '../../src/pipelines/image-creation/sd-model.js';
import { idsTensor } from '../../src/pipelines/image-creation/tensor-io.js';
import type { WorkerEnv } from '../../src/pipelines/worker-env.js';
import { SessionCache, chooseDevice, type Session } from '../../src/runtime/index.js';
import { directContext } from '../helpers/pipeline-context.js';
import { makeTestModels } from '../support/make-test.js';
import { makeLora, type LoraLayer } from '../support/safetensors-write.js';
import { SDXL_HIDDEN_1, SDXL_HIDDEN_2, SDXL_TE_LAYER, SDXL_TEST_LAYERS } from '../support/test-models/sdxl.js';

const sessions = new SessionCache({ device: chooseDevice('cpu'), intraOpThreads: 1, maxDerived: 6 }, 16);
const Q = 'text_model.encoder.layers.0.self_attn.q_proj';
const te2Q: LoraLayer = { path: Q, component: 'text_encoder_2', inShape: [SDXL_HIDDEN_2], out: SDXL_HIDDEN_2, rank: 2, alpha: 1 };
const te1Q: LoraLayer = { path: Q, component: 'text_encoder', inShape: [SDXL_HIDDEN_1], out: SDXL_HIDDEN_1, rank: 2 };

let root: string;
let modelDir: string;
let loraDir: string;
const te2Lora = makeLora([te2Q], 'kohya', 'F32', 3);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'backserv-lora-sdxl-'));
  await makeTestModels(root, ['sdxl-turbo']);
  modelDir = join(root, 'sdxl-turbo');
  loraDir = mkdtempSync(join(tmpdir(), 'backserv-lora-sdxl-loras-'));
  writeFileSync(join(loraDir, 'te2.safetensors'), te2Lora.bytes);
  writeFileSync(join(loraDir, 'te2-diffusers.safetensors'), makeLora([{ ...te2Q, alpha: undefined }], 'diffusers', 'F16', 4).bytes);
  writeFileSync(join(loraDir, 'te1.safetensors'), makeLora([te1Q], 'kohya', 'F32', 5).bytes);
});

const te2Path = () => join(modelDir, 'text_encoder_2', 'model.onnx');

/** Encoder 2's penultimate hidden state and pooled projection for a fixed prompt. */
async function encode2(session: Session) {
  const tok = loadTokenizer(sessions, modelDir, 'tokenizer_2');
  const out = await session.run({ input_ids: idsTensor({ name: 'input_ids', type: 'int64', shape: [1, 77] }, tok.encodePadded('a lighthouse at dusk', { maxLength: 77 })) });
  return { hidden: Float32Array.from(out[`hidden_states.${SDXL_TEST_LAYERS - 1}`].data as Float32Array), pooled: Float32Array.from(out.text_embeds.data as Float32Array) };
}

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => v === b[i]);

describe('LoRAs on SDXL\'s second text encoder', () => {
  it('kohya lora_te2_… keys: the q_proj weight becomes W + w·up·down·alpha/rank and the encoder\'s outputs change', async () => {
    const weight = 0.75;
    const merged = mergeComponent(te2Path(), 'text_encoder_2', [{ weight, modules: parseLora(te2Lora.bytes).modules }]);
    expect(merged.matched).toEqual([1]);
    const model = decodeModel(merged.source as Uint8Array);
    const node = model.graph!.node!.find((n) => n.name === `${SDXL_TE_LAYER}/q_proj/MatMul`)!;
    const init = model.graph!.initializer!.find((t) => t.name === node.input![1])!;
    expect(dimsOf(init)).toEqual([SDXL_HIDDEN_2, SDXL_HIDDEN_2]);
    // The test encoder's q_proj is the identity; the MatMul weight is [in, out] (torch's transposed).
    const got = floatValues(init);
    const { up, down } = te2Lora.weights[0];
    const D = SDXL_HIDDEN_2;
    const scale = weight * 1 / 2;
    let worst = 0;
    for (let o = 0; o < D; o += 37) {
      for (let j = 0; j < D; j += 11) {
        const want = (o === j ? 1 : 0) + scale * (up[o * 2] * down[j] + up[o * 2 + 1] * down[D + j]);
        worst = Math.max(worst, Math.abs(got[j * D + o] - want));
      }
    }
    expect(worst).toBeLessThan(1e-6);

    const r = await loraSessions(sessions, 'sdxl-turbo', modelDir, loraDir, [{ name: 'te2', weight }]);
    expect(r?.applied).toEqual([{ name: 'te2', weight, modules: 1, unet_layers: 0, text_encoder_layers: 0, text_encoder_2_layers: 1 }]);
    // Encoder 1 and the UNet keep the model's own sessions.
    expect(r?.textEncoder).toBe(await sessions.get(join(modelDir, 'text_encoder', 'model.onnx')));
    expect(r?.unet).toBe(await sessions.get(join(modelDir, 'unet', 'model.onnx')));
    const base = await encode2(await sessions.get(te2Path()));
    const lora = await encode2(r!.textEncoder2!);
    expect(same(lora.hidden, base.hidden)).toBe(false);
    expect(same(lora.pooled, base.pooled)).toBe(false);
    // Weight 0 adds nothing: the merged encoder gives the model's outputs exactly.
    const zero = await loraSessions(sessions, 'sdxl-turbo', modelDir, loraDir, [{ name: 'te2', weight: 0 }]);
    const z = await encode2(zero!.textEncoder2!);
    expect(same(z.hidden, base.hidden) && same(z.pooled, base.pooled)).toBe(true);
  });

  it('diffusers text_encoder_2.… keys merge into it too', async () => {
    const r = await loraSessions(sessions, 'sdxl-turbo', modelDir, loraDir, [{ name: 'te2-diffusers', weight: 1 }]);
    expect(r?.applied).toEqual([{ name: 'te2-diffusers', weight: 1, modules: 1, unet_layers: 0, text_encoder_layers: 0, text_encoder_2_layers: 1 }]);
    const base = await encode2(await sessions.get(te2Path()));
    expect(same((await encode2(r!.textEncoder2!)).pooled, base.pooled)).toBe(false);
  });

  it('a te1-only LoRA goes into text_encoder and leaves text_encoder_2 as it is', async () => {
    const r = await loraSessions(sessions, 'sdxl-turbo', modelDir, loraDir, [{ name: 'te1', weight: 1 }]);
    expect(r?.applied).toEqual([{ name: 'te1', weight: 1, modules: 1, unet_layers: 0, text_encoder_layers: 1, text_encoder_2_layers: 0 }]);
    const own = await sessions.get(te2Path());
    expect(r?.textEncoder2).toBe(own);
    expect(r?.textEncoder).not.toBe(await sessions.get(join(modelDir, 'text_encoder', 'model.onnx')));
  });

  it('through the pipeline: the image changes and the result reports the text_encoder_2 layers', async () => {
    const run = async (loras?: unknown[]) => {
      const ctx = directContext({ tag: 'lora-sdxl', modelsDir: root, sessions }, { env: { modelsDir: root, loraDir } as WorkerEnv });
      const result = await runImageCreation({ prompt: 'a lighthouse at dusk', width: 64, height: 64, seed: 2, steps: 1, ...(loras ? { loras } : {}) }, ctx);
      return { result, pixels: await sharp(readFileSync(join(ctx.resultsDir, result.file))).raw().toBuffer() };
    };
    const base = await run();
    const te2 = await run([{ name: 'te2', weight: 1 }]);
    expect(te2.result.loras).toEqual([{ name: 'te2', weight: 1, modules: 1, unet_layers: 0, text_encoder_layers: 0, text_encoder_2_layers: 1 }]);
    expect(te2.pixels.equals(base.pixels)).toBe(false);
  });
});
