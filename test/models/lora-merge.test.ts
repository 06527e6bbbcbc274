/**
 * LoRA reading and merging on the SD test exports, which are named the way torch's exporter names
 * things (scoped MatMul nodes with anonymous transposed weights, a Conv with its named weight):
 * safetensors parsing (f32, f16, bf16, malformed files), kohya and diffusers/PEFT key naming, and
 * the merged weight read back against W + weight · up · down · alpha/rank computed here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { decodeModel, dimsOf, floatValues, type OnnxModel } from '../../src/models/convert/onnx-read.js';
import { mergeComponent } from '../../src/models/lora/lora-apply.js';
import { parseLora } from '../../src/models/lora/lora-file.js';
import { indexLoraKeys } from '../../src/models/lora/lora-keys.js';
import { LoraMergeError } from '../../src/models/lora/lora-merge.js';
import { indexWeights } from '../../src/models/lora/lora-targets.js';
import { parseHeader, readFloatTensor, SafetensorsError } from '../../src/models/lora/safetensors.js';
import { TE_LAYER, UNET_ATTN } from '../support/test-models/sd.js';
import { makeLora, TEST_LAYERS, writeSafetensors, type LoraLayer } from '../support/safetensors-write.js';

const sdDir = () => join(inject('testModelsDir'), 'sd-turbo');
const unetPath = () => join(sdDir(), 'unet', 'model.onnx');
const tePath = () => join(sdDir(), 'text_encoder', 'model.onnx');

/** The weight a node reads (its initializer input), as torch's [out, in…] layout when `transposed`. */
function nodeWeight(model: OnnxModel, nodeName: string): { name: string; dims: number[]; data: Float32Array } {
  const node = model.graph!.node!.find((n) => n.name === nodeName);
  if (!node) throw new Error(`no node ${nodeName}`);
  const init = model.graph!.initializer!.find((t) => t.name === node.input![1])!;
  return { name: init.name!, dims: dimsOf(init), data: floatValues(init) };
}

/** W + scale · up · down in the weight's layout (MatMul: [in, out], else [out, in…]). */
function expected(base: Float32Array, l: LoraLayer, w: { down: Float32Array; up: Float32Array }, scale: number, layout: 'in-out' | 'out-in'): Float32Array {
  const inner = l.inShape.reduce((a, d) => a * d, 1);
  const out = Float32Array.from(base);
  for (let o = 0; o < l.out; o++) {
    for (let j = 0; j < inner; j++) {
      let d = 0;
      for (let r = 0; r < l.rank; r++) d += w.up[o * l.rank + r] * w.down[r * inner + j];
      out[layout === 'out-in' ? o * inner + j : j * l.out + o] += scale * d;
    }
  }
  return out;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function merged(path: string, component: 'unet' | 'text_encoder', loras: { bytes: Uint8Array; weight: number }[]): { model: OnnxModel; matched: number[] } {
  const m = mergeComponent(path, component, loras.map((l) => ({ weight: l.weight, modules: parseLora(l.bytes).modules })));
  expect(typeof m.source).not.toBe('string');
  return { model: decodeModel(m.source as Uint8Array), matched: m.matched };
}

describe('safetensors', () => {
  it('reads F32, F16 and BF16 tensors and the metadata', () => {
    const values = Float32Array.of(0.5, -1.25, 3, 0.015625, -0.0078125, 2048);
    const bytes = writeSafetensors({
      a: { dtype: 'F32', shape: [2, 3], data: values },
      b: { dtype: 'F16', shape: [6], data: values },
      c: { dtype: 'BF16', shape: [3, 2], data: values },
    }, { format: 'pt' });
    const h = parseHeader(bytes);
    expect(h.metadata).toEqual({ format: 'pt' });
    for (const name of ['a', 'b', 'c']) expect(Array.from(readFloatTensor(bytes, h, name).data)).toEqual(Array.from(values));
    expect(readFloatTensor(bytes, h, 'c').shape).toEqual([3, 2]);
    // As read from disk: a Node Buffer that is a view at an odd offset into a larger one.
    const viewed = Buffer.concat([Buffer.alloc(3, 0xff), Buffer.from(bytes)]).subarray(3);
    for (const name of ['a', 'b', 'c']) expect(Array.from(readFloatTensor(viewed, parseHeader(viewed), name).data)).toEqual(Array.from(values));
  });

  it('refuses malformed files with a SafetensorsError', () => {
    const good = writeSafetensors({ a: { dtype: 'F32', shape: [4], data: new Float32Array(4) } });
    const cases: Uint8Array[] = [
      new Uint8Array(5),
      good.subarray(0, good.length - 4), // cut short
      (() => { const b = Uint8Array.from(good); new DataView(b.buffer).setBigUint64(0, 1n << 40n, true); return b; })(),
      (() => { const b = Uint8Array.from(good); b[8] = 0x41; return b; })(), // header not JSON
      writeSafetensors({ a: { dtype: 'F32', shape: [5], data: new Float32Array(4) } }), // size ≠ shape
    ];
    for (const c of cases) expect(() => parseHeader(c)).toThrow(SafetensorsError);
  });
});

describe('LoRA key naming', () => {
  it('groups kohya and diffusers/PEFT names into modules of the right component, in flat form', () => {
    const kohya = indexLoraKeys(parseHeader(makeLora([TEST_LAYERS.unetToQ, TEST_LAYERS.teQ], 'kohya').bytes));
    expect(kohya.modules.map((m) => [m.component, m.flat, m.alpha !== null]).sort()).toEqual([
      ['text_encoder', 'text_model_encoder_layers_0_self_attn_q_proj', false],
      ['unet', 'down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_q', false],
    ]);
    const peft = indexLoraKeys(parseHeader(makeLora([{ ...TEST_LAYERS.unetToOut, alpha: 2 }], 'diffusers').bytes));
    expect(peft.modules).toMatchObject([{ component: 'unet', flat: 'down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_out_0', down: 'unet.down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_out.0.lora_A.weight' }]);
    expect(peft.modules[0].alpha).not.toBeNull();
    expect(peft.unknown).toEqual([]);
  });

  it('finds the export\'s layers by node scope (anonymous MatMul weights) and by weight name (Conv)', () => {
    const targets = indexWeights(decodeModel(readFileSync(unetPath())));
    const toQ = targets.get('down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_q');
    expect(toQ?.tensor.name).toMatch(/^onnx::MatMul_\d+$/);
    expect(toQ?.layout).toBe('in-out');
    expect(targets.get('conv_in')).toMatchObject({ layout: 'out-in', tensor: { name: 'conv_in.weight' } });
  });
});

describe('LoRA merge', () => {
  it('kohya, on a MatMul weight: equals W + w·up·down·alpha/rank, transposed into [in, out]', () => {
    const l = { ...TEST_LAYERS.unetToQ, alpha: 1 };
    const lora = makeLora([l], 'kohya');
    const base = nodeWeight(decodeModel(readFileSync(unetPath())), `${UNET_ATTN}/to_q/MatMul`);
    const { model, matched } = merged(unetPath(), 'unet', [{ bytes: lora.bytes, weight: 0.7 }]);
    expect(matched).toEqual([1]);
    const after = nodeWeight(model, `${UNET_ATTN}/to_q/MatMul`);
    expect(after.dims).toEqual([4, 32]);
    const want = expected(base.data, l, lora.weights[0], 0.7 * 1 / 2, 'in-out');
    expect(maxDiff(after.data, want)).toBeLessThan(1e-6);
    expect(maxDiff(after.data, base.data)).toBeGreaterThan(1e-3);
  });

  it('diffusers/PEFT names without alpha (scale 1) and a kohya LoCon on the named Conv weight, both in one model', () => {
    const out = TEST_LAYERS.unetToOut;
    const conv = { ...TEST_LAYERS.convIn, alpha: 4 };
    const a = makeLora([out], 'diffusers', 'F32', 2);
    const b = makeLora([conv], 'kohya', 'F32', 3);
    const before = decodeModel(readFileSync(unetPath()));
    const { model, matched } = merged(unetPath(), 'unet', [{ bytes: a.bytes, weight: 1 }, { bytes: b.bytes, weight: -0.5 }]);
    expect(matched).toEqual([1, 1]);
    const outW = nodeWeight(model, `${UNET_ATTN}/to_out.0/MatMul`);
    expect(maxDiff(outW.data, expected(nodeWeight(before, `${UNET_ATTN}/to_out.0/MatMul`).data, out, a.weights[0], 1, 'in-out'))).toBeLessThan(1e-6);
    const convW = nodeWeight(model, '/conv_in/Conv');
    expect(convW.name).toBe('conv_in.weight');
    expect(maxDiff(convW.data, expected(nodeWeight(before, '/conv_in/Conv').data, conv, b.weights[0], -0.5 * 4 / 2, 'out-in'))).toBeLessThan(1e-6);
  });

  it('text-encoder keys (lora_te_text_model_encoder_layers_0_self_attn_q_proj) map onto the text encoder export; fp16 tensors parse', () => {
    const l = { ...TEST_LAYERS.teQ, alpha: 8 };
    const lora = makeLora([l, TEST_LAYERS.unetToQ], 'kohya', 'F16', 4);
    expect(Object.values(JSON.parse(Buffer.from(lora.bytes.subarray(8, 8 + Number(new DataView(lora.bytes.buffer).getBigUint64(0, true)))).toString()))
      .filter((e) => typeof e === 'object' && (e as { dtype?: string }).dtype === 'F16')).toHaveLength(5);
    const base = nodeWeight(decodeModel(readFileSync(tePath())), `${TE_LAYER}/q_proj/MatMul`);
    const { model, matched } = merged(tePath(), 'text_encoder', [{ bytes: lora.bytes, weight: 1.5 }]);
    expect(matched).toEqual([1]); // the UNet module is not the text encoder's
    const after = nodeWeight(model, `${TE_LAYER}/q_proj/MatMul`);
    expect(maxDiff(after.data, expected(base.data, l, lora.weights[0], 1.5 * 8 / 4, 'in-out'))).toBeLessThan(1e-5);
  });

  it('a LoRA for other layers matches nothing; one whose shapes do not fit is a LoraMergeError naming the module', () => {
    const sdxl = makeLora([{ path: 'input_blocks.4.1.proj_in', component: 'unet', inShape: [640], out: 640, rank: 4 }], 'kohya');
    expect(merged(unetPath(), 'unet', [{ bytes: sdxl.bytes, weight: 1 }]).matched).toEqual([0]);
    const wrong = makeLora([{ ...TEST_LAYERS.unetToQ, inShape: [8] }], 'kohya');
    expect(() => merged(unetPath(), 'unet', [{ bytes: wrong.bytes, weight: 1 }])).toThrow(LoraMergeError);
    expect(() => merged(unetPath(), 'unet', [{ bytes: wrong.bytes, weight: 1 }])).toThrow(/attn2_to_q/);
  });

  it('a safetensors file without LoRA keys is refused', () => {
    const bytes = writeSafetensors({ 'model.diffusion_model.x.weight': { dtype: 'F32', shape: [2], data: new Float32Array(2) } });
    expect(() => parseLora(bytes)).toThrow(/no LoRA weights/);
  });
});
