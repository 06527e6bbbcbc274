/**
 * Stable-Diffusion-style test components with the legacy diffusers ONNX signatures (MODELS.md §1):
 * text_encoder `input_ids` i32 [B,S] -> `last_hidden_state` [B,S,D], `pooler_output` [B,D];
 * unet `sample` [B,4,h,w], `timestep` [batch], `encoder_hidden_states` [B,S,D] (+ LCM's
 * `timestep_cond` [B,256]) -> `out_sample`; vae_decoder `latent_sample` -> `sample` [B,3,8h,8w];
 * vae_encoder `sample` -> `latent_sample`. D is small (32) instead of 768/1024: pipelines must read
 * it from the session. The unet runs a real cross-attention over the text states, so every output
 * depends on every token, the timestep and every latent channel.
 *
 * Names follow torch's exporter, so LoRA merging is tested on what real exports look like: the
 * Linear layers are MatMul nodes named by module scope (`/down_blocks.0/…/attn2/to_q/MatMul`) whose
 * weight is an anonymous, transposed ([in, out]) constant (`onnx::MatMul_N`); the UNet's first
 * conv keeps its module name on its weight (`conv_in.weight`), as Conv weights do.
 */
import { DT, GraphBuilder, type ElemType } from '../../../src/models/convert/onnx-graph.js';
import { randomFloats, seededRandom } from '../random-weights.js';
import type { GeneratedFile } from '../make-test.js';
import { clipTokenizerFiles } from './clip-tokenizer-files.js';

export type SdVariant = 'sd-turbo' | 'sd15' | 'lcm-dreamshaper-v7';

export const TEST_HIDDEN = 32;
const TABLE_ROWS = 1024;
const TIME_COND_DIM = 256;

/** Scope of the test text encoder's one layer, as torch names CLIP's first encoder layer. */
export const TE_LAYER = '/text_model/encoder/layers.0/self_attn';
/** Scope of the test UNet's cross-attention (diffusers' module path, as torch names it). */
export const UNET_ATTN = '/down_blocks.0/attentions.0/transformer_blocks.0/attn2';

/** A Linear's weight as torch exports it: anonymous, already transposed to [in, out]. */
function linearWeight(g: GraphBuilder, values: Float32Array, inDim: number, outDim: number): string {
  return g.init(g.fresh('onnx::MatMul'), values, [inDim, outDim]);
}

function textEncoder(seed: number): Uint8Array {
  const g = new GraphBuilder('text_encoder_test');
  const rand = seededRandom(seed);
  const D = TEST_HIDDEN;
  const ids = g.input('input_ids', DT.INT32, ['batch_size', 'sequence_length']);
  // A folded embedding table keeps the file small; ids are spread by a multiplier first so
  // neighbouring ids do not share rows.
  const spread = g.op('Mod', [g.op('Mul', [ids, g.init(g.fresh('c'), Int32Array.of(7919), [])]), g.init(g.fresh('c'), Int32Array.of(TABLE_ROWS), [])]);
  const table = g.floats(randomFloats(rand, TABLE_ROWS * D, 1), [TABLE_ROWS, D]);
  const emb = g.op('Gather', [table, spread], { axis: 0 });
  // One self-attention layer: each position mixes in every other token.
  const keys = g.op('Transpose', [emb], { perm: [0, 2, 1] });
  // q_proj is the identity (exactly: the outputs are those of the graph without it), so LoRAs on it have a layer to change.
  const identity = new Float32Array(D * D);
  for (let i = 0; i < D; i++) identity[i * D + i] = 1;
  const q = g.op('MatMul', [emb, linearWeight(g, identity, D, D)], {}, undefined, `${TE_LAYER}/q_proj/MatMul`);
  const scores = g.op('Mul', [g.op('MatMul', [q, keys]), g.floats([1 / Math.sqrt(D)], [])]);
  const attn = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), emb]);
  const wo = linearWeight(g, randomFloats(rand, D * D, 1 / Math.sqrt(D)), D, D);
  const mixed = g.op('Add', [emb, g.op('MatMul', [attn, wo], {}, undefined, `${TE_LAYER}/out_proj/MatMul`)]);
  const hidden = g.op('LayerNormalization', [mixed, g.floats(new Float32Array(D).fill(1), [D]), g.floats(new Float32Array(D), [D])], { axis: -1 }, 'last_hidden_state');
  g.op('ReduceMean', [hidden], { axes: [1], keepdims: 0 }, 'pooler_output');
  g.output('last_hidden_state', DT.FLOAT, ['batch_size', 'sequence_length', D]);
  g.output('pooler_output', DT.FLOAT, ['batch_size', D]);
  return g.encode();
}

/** Extra convolution work for bench models: `layers` 3x3 convs of `channels` wide at latent size. */
export interface UnetWork {
  channels: number;
  layers: number;
}

/** Input channels: 4, or 9 for the SD-inpainting exports (latents + mask + masked-image latents). */
function unet(seed: number, timestepType: ElemType, withTimeCond: boolean, work?: UnetWork, inChannels = 4): Uint8Array {
  const g = new GraphBuilder('unet_test');
  const rand = seededRandom(seed);
  const D = TEST_HIDDEN;
  // The inpainting export declares the 9 channels as a fixed dimension.
  const input = g.input('sample', DT.FLOAT, ['batch_size', inChannels === 4 ? 'num_channels' : inChannels, 'height', 'width']);
  // Everything but the local conv sees the latents only (the first four channels).
  const sample = inChannels === 4 ? input : g.op('Slice', [input, g.int64s([0]), g.int64s([4]), g.int64s([1])]);
  const timestep = g.input('timestep', timestepType, ['batch']);
  const ehs = g.input('encoder_hidden_states', DT.FLOAT, ['batch_size', 'sequence_length', D]);
  const cond = withTimeCond ? g.input('timestep_cond', DT.FLOAT, ['batch_size', TIME_COND_DIM]) : null;

  // Local path: a 3x3 conv close to identity, so the prediction tracks the latent.
  // With 9 channels the mask and masked-image latents mix in too, so the output depends on them.
  const ident = randomFloats(rand, 4 * inChannels * 9, inChannels === 4 ? 0.02 : 0.1);
  for (let c = 0; c < 4; c++) ident[(c * inChannels + c) * 9 + 4] += 1;
  const convW = g.init('conv_in.weight', ident, [4, inChannels, 3, 3]);
  const local = g.op('Conv', [input, convW, g.init('conv_in.bias', new Float32Array(4), [4])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, undefined, '/conv_in/Conv');

  // Cross-attention: latent pixels as queries over the text states.
  const flat = g.op('Transpose', [g.op('Reshape', [sample, g.int64s([0, 4, -1])])], { perm: [0, 2, 1] });
  const q = g.op('MatMul', [flat, linearWeight(g, randomFloats(rand, 4 * D, 1), 4, D)], {}, undefined, `${UNET_ATTN}/to_q/MatMul`);
  const scores = g.op('Mul', [g.op('MatMul', [q, g.op('Transpose', [ehs], { perm: [0, 2, 1] })]), g.floats([1 / Math.sqrt(D)], [])]);
  const attn = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), ehs]);
  const back = g.op('MatMul', [attn, linearWeight(g, randomFloats(rand, D * 4, 0.1), D, 4)], {}, undefined, `${UNET_ATTN}/to_out.0/MatMul`);
  const cross = g.op('Reshape', [g.op('Transpose', [back], { perm: [0, 2, 1] }), g.op('Shape', [sample])]);

  // Timestep embedding broadcast over channels: sin/cos of t/1000 projected to 4 channels.
  const t = g.op('Div', [g.op('Cast', [timestep], { to: DT.FLOAT }), g.floats([1000], [])]);
  const tcol = g.op('Reshape', [t, g.int64s([-1, 1, 1, 1])]);
  let temb = g.op('Mul', [g.op('Sin', [g.op('Mul', [tcol, g.floats([3], [])])]), g.floats(randomFloats(rand, 4, 0.2), [1, 4, 1, 1])]);
  if (cond) {
    const c = g.op('MatMul', [cond, g.floats(randomFloats(rand, TIME_COND_DIM * 4, 0.05), [TIME_COND_DIM, 4])]);
    temb = g.op('Add', [temb, g.op('Reshape', [c, g.int64s([-1, 4, 1, 1])])]);
  }
  let out = g.op('Add', [g.op('Add', [local, cross]), temb]);
  if (work) {
    // A conv stack of roughly a real UNet step's cost (benchmarks only), lightly mixed in.
    const conv = (x: string, cin: number, cout: number) => g.op('Conv', [x, g.floats(randomFloats(rand, cout * cin * 9, 1 / Math.sqrt(cin * 9)), [cout, cin, 3, 3]), g.floats(new Float32Array(cout), [cout])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    let h = g.op('Relu', [conv(sample, 4, work.channels)]);
    for (let l = 0; l < work.layers; l++) h = g.op('Relu', [conv(h, work.channels, work.channels)]);
    out = g.op('Add', [out, g.op('Mul', [conv(h, work.channels, 4), g.floats([0.01], [])])]);
  }
  g.op('Identity', [out], {}, 'out_sample');
  g.output('out_sample', DT.FLOAT, ['batch_size', 'num_channels', 'height', 'width']);
  return g.encode();
}

export function vaeDecoder(seed: number): Uint8Array {
  const g = new GraphBuilder('vae_decoder_test');
  const rand = seededRandom(seed);
  const z = g.input('latent_sample', DT.FLOAT, ['batch_size', 'num_channels_latent', 'height_latent', 'width_latent']);
  const rgb = g.op('Conv', [z, g.floats(randomFloats(rand, 3 * 4, 0.5), [3, 4, 1, 1]), g.floats([0, 0, 0], [3])]);
  const up = g.op('Resize', [rgb, '', g.floats([1, 1, 8, 8], [4])], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' });
  const detail = g.op('Conv', [up, g.floats(randomFloats(rand, 3 * 3 * 9, 0.1), [3, 3, 3, 3]), g.floats([0, 0, 0], [3])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  // tanh keeps the image in the VAE's [-1, 1] range.
  g.op('Tanh', [g.op('Add', [up, detail])], {}, 'sample');
  g.output('sample', DT.FLOAT, ['batch_size', 3, 'height', 'width']);
  return g.encode();
}

export function vaeEncoder(seed: number): Uint8Array {
  const g = new GraphBuilder('vae_encoder_test');
  const rand = seededRandom(seed);
  const x = g.input('sample', DT.FLOAT, ['batch_size', 'num_channels', 'height', 'width']);
  const w = randomFloats(rand, 4 * 3 * 64, 0.05);
  g.op('Conv', [x, g.floats(w, [4, 3, 8, 8]), g.floats([0, 0, 0, 0], [4])], { kernel_shape: [8, 8], strides: [8, 8] }, 'latent_sample');
  g.output('latent_sample', DT.FLOAT, ['batch_size', 4, 'height_latent', 'width_latent']);
  return g.encode();
}

const SCHEDULERS: Record<SdVariant, Record<string, unknown>> = {
  'sd-turbo': { _class_name: 'EulerDiscreteScheduler', timestep_spacing: 'trailing', steps_offset: 1, interpolation_type: 'linear', use_karras_sigmas: false },
  sd15: { _class_name: 'PNDMScheduler', timestep_spacing: 'leading', steps_offset: 1, skip_prk_steps: true },
  'lcm-dreamshaper-v7': { _class_name: 'LCMScheduler', timestep_spacing: 'leading', steps_offset: 1, original_inference_steps: 50 },
};

function schedulerConfig(variant: SdVariant): string {
  const common = {
    beta_start: 0.00085,
    beta_end: 0.012,
    beta_schedule: 'scaled_linear',
    num_train_timesteps: 1000,
    prediction_type: 'epsilon',
    clip_sample: false,
    set_alpha_to_one: false,
  };
  return JSON.stringify({ ...SCHEDULERS[variant], ...common }, null, 2) + '\n';
}

function modelIndex(variant: SdVariant): string {
  const scheduler = String(SCHEDULERS[variant]._class_name);
  return (
    JSON.stringify(
      {
        _class_name: 'OnnxStableDiffusionPipeline',
        _diffusers_version: '0.30.0',
        scheduler: ['diffusers', scheduler],
        text_encoder: ['diffusers', 'OnnxRuntimeModel'],
        tokenizer: ['transformers', 'CLIPTokenizer'],
        unet: ['diffusers', 'OnnxRuntimeModel'],
        vae_decoder: ['diffusers', 'OnnxRuntimeModel'],
        vae_encoder: ['diffusers', 'OnnxRuntimeModel'],
        requires_safety_checker: false,
        safety_checker: [null, null],
        feature_extractor: [null, null],
      },
      null,
      2,
    ) + '\n'
  );
}

/** An SD-inpainting UNet in the test model's style: `sample` [B,9,h,w] (latents, mask, masked-image latents) → [B,4,h,w]. */
export function buildInpaintingSdUnet(): Uint8Array {
  return unet(252, DT.FLOAT, false, undefined, 9);
}

/** The sd-turbo test UNet with `work` added (same signature): for measuring per-step overhead at a realistic step cost. */
export function buildWeightedSdTurboUnet(work: UnetWork): Uint8Array {
  return unet(102, DT.INT64, false, work);
}

export async function buildSdTest(variant: SdVariant): Promise<GeneratedFile[]> {
  // SD-Turbo's export (and the ORT web sample) feeds an int64 timestep; the newer fp32 exports a float.
  const timestepType = variant === 'sd-turbo' ? DT.INT64 : DT.FLOAT;
  const seed = variant === 'sd-turbo' ? 100 : variant === 'sd15' ? 200 : 300;
  return [
    { path: 'text_encoder/model.onnx', data: textEncoder(seed + 1) },
    { path: 'unet/model.onnx', data: unet(seed + 2, timestepType, variant === 'lcm-dreamshaper-v7') },
    { path: 'vae_decoder/model.onnx', data: vaeDecoder(seed + 3) },
    { path: 'vae_encoder/model.onnx', data: vaeEncoder(seed + 4) },
    ...(await clipTokenizerFiles(variant === 'sd15' || variant === 'lcm-dreamshaper-v7' ? '<|endoftext|>' : '!')),
    { path: 'scheduler/scheduler_config.json', data: schedulerConfig(variant) },
    { path: 'model_index.json', data: modelIndex(variant) },
  ];
}
