/**
 * The submit-time LoRA name index: the streamed scan of an ONNX file (no weights read) finds the
 * same targets as the merge's full decode, on the sd-turbo test export, its fp16 copy with
 * external data, and SDXL's two encoders; it is built once per file identity and rebuilt when the
 * file changes; and a LoRA's header keys are counted against it per component.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeModel } from '../../src/models/convert/onnx-read.js';
import { convertModelToFp16 } from '../../src/models/convert/precision/to-fp16.js';
import { loraProblem } from '../../src/models/lora/lora-folder.js';
import { indexLoraKeys } from '../../src/models/lora/lora-keys.js';
import { indexWeights } from '../../src/models/lora/lora-targets.js';
import { scanOnnxGraph } from '../../src/models/lora/onnx-scan.js';
import { parseHeader } from '../../src/models/lora/safetensors.js';
import { matchingModules, targetNames } from '../../src/models/lora/target-names.js';
import { makeTestModels } from '../support/make-test.js';
import { makeLora, TEST_LAYERS, type LoraLayer } from '../support/safetensors-write.js';
import { SDXL_HIDDEN_1, SDXL_HIDDEN_2 } from '../support/test-models/sdxl.js';

const sdDir = () => join(inject('testModelsDir'), 'sd-turbo');
const decodedNames = (path: string) => [...indexWeights(decodeModel(readFileSync(path))).keys()].sort();
const keysOf = (layers: LoraLayer[]) => indexLoraKeys(parseHeader(makeLora(layers, 'kohya').bytes));

const te2Q: LoraLayer = { path: 'text_model.encoder.layers.0.self_attn.q_proj', component: 'text_encoder_2', inShape: [SDXL_HIDDEN_2], out: SDXL_HIDDEN_2, rank: 2 };
const te1Q: LoraLayer = { path: 'text_model.encoder.layers.0.self_attn.q_proj', component: 'text_encoder', inShape: [SDXL_HIDDEN_1], out: SDXL_HIDDEN_1, rank: 2 };
const sdxlOnly: LoraLayer = { path: 'input_blocks.4.1.proj_in', component: 'unet', inShape: [640], out: 640, rank: 4 };

let sdxlDir: string;
beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'backserv-lora-names-'));
  await makeTestModels(root, ['sdxl-turbo']);
  sdxlDir = join(root, 'sdxl-turbo');
});

describe('LoRA name index', () => {
  it('the streamed scan finds what the full decode finds (UNet, text encoder, SDXL encoders)', () => {
    const paths = [join(sdDir(), 'unet', 'model.onnx'), join(sdDir(), 'text_encoder', 'model.onnx'), join(sdxlDir, 'text_encoder', 'model.onnx'), join(sdxlDir, 'text_encoder_2', 'model.onnx')];
    for (const path of paths) {
      const names = [...(targetNames(path) ?? [])].sort();
      expect(names.length, path).toBeGreaterThan(0);
      expect(names, path).toEqual(decodedNames(path));
    }
    expect(targetNames(join(sdDir(), 'unet', 'model.onnx'))).toContain('down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_q');
    expect(targetNames(join(sdxlDir, 'text_encoder_2', 'model.onnx'))).toContain('text_model_encoder_layers_0_self_attn_q_proj');
  });

  it('reads an fp16 export whose weights live in an external data file, without that file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'backserv-lora-names-ext-'));
    const fp16 = join(dir, 'model.onnx');
    convertModelToFp16(join(sdDir(), 'text_encoder', 'model.onnx'), fp16, { externalThreshold: 1000, keepIoTypes: true });
    rmSync(fp16 + '.data');
    const scanned = scanOnnxGraph(fp16);
    expect(scanned.initializers.size).toBeGreaterThan(0);
    expect([...(targetNames(fp16) ?? [])].sort()).toEqual(decodedNames(join(sdDir(), 'text_encoder', 'model.onnx')));
    rmSync(dir, { recursive: true, force: true });
  });

  it('is built once per file identity, and again when the file changes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'backserv-lora-names-cache-'));
    const path = join(dir, 'model.onnx');
    cpSync(join(sdDir(), 'text_encoder', 'model.onnx'), path);
    const first = targetNames(path);
    expect(targetNames(path)).toBe(first);
    // Another model under the same path (a reinstall): a new index, with the new model's names.
    writeFileSync(path, readFileSync(join(sdDir(), 'unet', 'model.onnx')));
    utimesSync(path, new Date(), new Date(Date.now() + 5000));
    const second = targetNames(path);
    expect(second).not.toBe(first);
    expect(second).toContain('conv_in');
    rmSync(dir, { recursive: true, force: true });
    expect(targetNames(path)).toBeNull();
  });

  it('counts a LoRA\'s modules that match, per component; other base models and absent components match nothing', () => {
    expect(matchingModules(keysOf([TEST_LAYERS.unetToQ, TEST_LAYERS.teQ, TEST_LAYERS.convIn]), sdDir())).toBe(3);
    expect(matchingModules(keysOf([TEST_LAYERS.unetToQ, sdxlOnly]), sdDir())).toBe(1);
    expect(matchingModules(keysOf([sdxlOnly]), sdDir())).toBe(0);
    expect(matchingModules(keysOf([te2Q]), sdDir())).toBe(0);
    expect(matchingModules(keysOf([te2Q, te1Q]), sdxlDir)).toBe(2);
    // No model files on this node: it cannot tell.
    expect(matchingModules(keysOf([te2Q]), join(tmpdir(), 'no-such-model'))).toBeNull();
  });

  it('loraProblem names a LoRA that matches nothing in the given model, and passes a partial match', () => {
    const dir = mkdtempSync(join(tmpdir(), 'backserv-lora-names-folder-'));
    writeFileSync(join(dir, 'other.safetensors'), makeLora([sdxlOnly], 'kohya').bytes);
    writeFileSync(join(dir, 'partial.safetensors'), makeLora([sdxlOnly, TEST_LAYERS.unetToQ], 'kohya').bytes);
    const model = { id: 'sd-turbo', dir: sdDir() };
    expect(loraProblem(dir, 'other', model)).toBe('none of the 1 layers of the LoRA "other" matches a layer of the model sd-turbo (a LoRA made for another base model?)');
    expect(loraProblem(dir, 'other')).toBeNull();
    expect(loraProblem(dir, 'partial', model)).toBeNull();
    expect(loraProblem(dir, 'nope', model)).toMatch(/^no LoRA "nope" is installed/);
    rmSync(dir, { recursive: true, force: true });
  });
});
