/**
 * SDXL test models with the signatures of Optimum's SDXL ONNX export (the layout of
 * stabilityai/stable-diffusion-xl-base-1.0 and sdxl-turbo): text_encoder (CLIP-L, 768 wide) and
 * text_encoder_2 (bigG with projection, 1280 wide) take int64 `input_ids` and give
 * `last_hidden_state` and `hidden_states.0…L` (encoder 1 also `pooler_output`, encoder 2
 * `text_embeds` [B,1280]); the unet takes `sample`, `timestep`, `encoder_hidden_states`
 * [B,77,2048], `text_embeds` [B,1280] and `time_ids` [B,6]. The widths are the real ones so the
 * pipeline's 768 + 1280 = 2048 concatenation is exercised; the layers are cheap (no D×D weights).
 * Every hidden state differs from its neighbours, and the unet's output moves with every input,
 * time_ids and text_embeds included.
 */
import { DT, GraphBuilder } from '../../../src/models/convert/onnx-graph.js';
import { randomFloats, seededRandom } from '../random-weights.js';
import type { GeneratedFile } from '../make-test.js';
import { clipTokenizerFiles } from './clip-tokenizer-files.js';
import { vaeDecoder, vaeEncoder } from './sd.js';

export type SdxlVariant = 'sdxl-base' | 'sdxl-turbo';

export const SDXL_HIDDEN_1 = 768;
export const SDXL_HIDDEN_2 = 1280;
/** Transformer layers of each test encoder: outputs hidden_states.0 … hidden_states.LAYERS. */
export const SDXL_TEST_LAYERS = 3;
const TABLE_ROWS = 128;

/** Scope of each test encoder's first layer's attention, as torch names CLIP's. */
export const SDXL_TE_LAYER = '/text_model/encoder/layers.0/self_attn';

function identity(D: number): Float32Array {
  const m = new Float32Array(D * D);
  for (let i = 0; i < D; i++) m[i * D + i] = 1;
  return m;
}

function textEncoder(seed: number, D: number, projection: boolean): Uint8Array {
  const g = new GraphBuilder(projection ? 'text_encoder_2_test' : 'text_encoder_test');
  const rand = seededRandom(seed);
  const ids = g.input('input_ids', DT.INT64, ['batch_size', 'sequence_length']);
  const spread = g.op('Mod', [g.op('Mul', [ids, g.int64s([7919], [])]), g.int64s([TABLE_ROWS], [])]);
  let h = g.op('Gather', [g.floats(randomFloats(rand, TABLE_ROWS * D, 1), [TABLE_ROWS, D]), spread], { axis: 0 });
  const states = [h];
  for (let l = 0; l < SDXL_TEST_LAYERS; l++) {
    // Weight-free self-attention, then a per-layer affine map: each layer's state is its own.
    // Layer 0's q_proj is the identity as torch exports a Linear (anonymous [in, out] weight, scoped
    // node): outputs equal the graph without it, and LoRAs (lora_te1_…, lora_te2_…) have a layer to change.
    const q = l === 0 ? g.op('MatMul', [h, g.init(g.fresh('onnx::MatMul'), identity(D), [D, D])], {}, undefined, `${SDXL_TE_LAYER}/q_proj/MatMul`) : h;
    const scores = g.op('Mul', [g.op('MatMul', [q, g.op('Transpose', [h], { perm: [0, 2, 1] })]), g.floats([1 / Math.sqrt(D)], [])]);
    const mixed = g.op('Add', [h, g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), h])]);
    h = g.op('Add', [g.op('Mul', [mixed, g.floats(randomFloats(rand, D, 0.5).map((v) => v + 0.6), [D])]), g.floats(randomFloats(rand, D, 0.3), [D])]);
    states.push(h);
  }
  states.forEach((s, i) => g.op('Identity', [s], {}, `hidden_states.${i}`));
  const last = g.op('LayerNormalization', [h, g.floats(new Float32Array(D).fill(1), [D]), g.floats(new Float32Array(D), [D])], { axis: -1 }, 'last_hidden_state');
  const pooled = g.op('ReduceMean', [last], { axes: [1], keepdims: 0 });
  if (projection) g.op('Add', [g.op('Mul', [pooled, g.floats(randomFloats(rand, D, 1), [D])]), g.floats(randomFloats(rand, D, 0.1), [D])], {}, 'text_embeds');
  else g.op('Identity', [pooled], {}, 'pooler_output');
  if (projection) g.output('text_embeds', DT.FLOAT, ['batch_size', D]);
  g.output('last_hidden_state', DT.FLOAT, ['batch_size', 'sequence_length', D]);
  if (!projection) g.output('pooler_output', DT.FLOAT, ['batch_size', D]);
  states.forEach((_, i) => g.output(`hidden_states.${i}`, DT.FLOAT, ['batch_size', 'sequence_length', D]));
  return g.encode();
}

function unet(seed: number): Uint8Array {
  const g = new GraphBuilder('unet_sdxl_test');
  const rand = seededRandom(seed);
  const E = SDXL_HIDDEN_1 + SDXL_HIDDEN_2;
  const K = 8;
  const sample = g.input('sample', DT.FLOAT, ['batch_size', 'num_channels', 'height', 'width']);
  const timestep = g.input('timestep', DT.FLOAT, ['steps']);
  const ehs = g.input('encoder_hidden_states', DT.FLOAT, ['batch_size', 'sequence_length', E]);
  const textEmbeds = g.input('text_embeds', DT.FLOAT, ['batch_size', SDXL_HIDDEN_2]);
  const timeIds = g.input('time_ids', DT.FLOAT, ['batch_size', 6]);

  const ident = randomFloats(rand, 4 * 4 * 9, 0.02);
  for (let c = 0; c < 4; c++) ident[(c * 4 + c) * 9 + 4] += 1;
  const local = g.op('Conv', [sample, g.floats(ident, [4, 4, 3, 3]), g.floats([0, 0, 0, 0], [4])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });

  // Cross-attention with the text states projected down first (keys K wide, values 4).
  const flat = g.op('Transpose', [g.op('Reshape', [sample, g.int64s([0, 4, -1])])], { perm: [0, 2, 1] });
  const q = g.op('MatMul', [flat, g.floats(randomFloats(rand, 4 * K, 1), [4, K])]);
  const keys = g.op('MatMul', [ehs, g.floats(randomFloats(rand, E * K, 1 / Math.sqrt(E)), [E, K])]);
  const values = g.op('MatMul', [ehs, g.floats(randomFloats(rand, E * 4, 0.1 / Math.sqrt(E)), [E, 4])]);
  const scores = g.op('Mul', [g.op('MatMul', [q, g.op('Transpose', [keys], { perm: [0, 2, 1] })]), g.floats([1 / Math.sqrt(K)], [])]);
  const attn = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), values]);
  const cross = g.op('Reshape', [g.op('Transpose', [attn], { perm: [0, 2, 1] }), g.op('Shape', [sample])]);

  // Time embedding plus SDXL's added conditioning, broadcast over the latent pixels.
  const t = g.op('Reshape', [g.op('Div', [timestep, g.floats([1000], [])]), g.int64s([-1, 1, 1, 1])]);
  const temb = g.op('Mul', [g.op('Sin', [g.op('Mul', [t, g.floats([3], [])])]), g.floats(randomFloats(rand, 4, 0.2), [1, 4, 1, 1])]);
  const emb = g.op('MatMul', [textEmbeds, g.floats(randomFloats(rand, SDXL_HIDDEN_2 * 4, 0.05 / Math.sqrt(SDXL_HIDDEN_2)), [SDXL_HIDDEN_2, 4])]);
  const ids = g.op('MatMul', [g.op('Div', [timeIds, g.floats([1024], [])]), g.floats(randomFloats(rand, 6 * 4, 0.3), [6, 4])]);
  const added = g.op('Reshape', [g.op('Add', [emb, ids]), g.int64s([-1, 4, 1, 1])]);
  const out = g.op('Add', [g.op('Add', [g.op('Add', [local, cross]), temb]), added]);
  g.op('Identity', [out], {}, 'out_sample');
  g.output('out_sample', DT.FLOAT, ['batch_size', 'num_channels', 'height', 'width']);
  return g.encode();
}

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';

const SCHEDULERS: Record<SdxlVariant, Record<string, unknown>> = {
  'sdxl-base': { _class_name: 'EulerDiscreteScheduler', timestep_spacing: 'leading', steps_offset: 1, interpolation_type: 'linear', use_karras_sigmas: false },
  'sdxl-turbo': { _class_name: 'EulerAncestralDiscreteScheduler', timestep_spacing: 'trailing', steps_offset: 1 },
};

export async function buildSdxlTest(variant: SdxlVariant): Promise<GeneratedFile[]> {
  const seed = variant === 'sdxl-base' ? 400 : 500;
  const tok1 = await clipTokenizerFiles('<|endoftext|>');
  // SDXL's second tokenizer pads with "!".
  const tok2 = (await clipTokenizerFiles('!')).map((f) => ({ ...f, path: f.path.replace(/^tokenizer\//, 'tokenizer_2/') }));
  const scheduler = { ...SCHEDULERS[variant], beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', num_train_timesteps: 1000, prediction_type: 'epsilon', clip_sample: false, set_alpha_to_one: false };
  return [
    { path: 'text_encoder/model.onnx', data: textEncoder(seed + 1, SDXL_HIDDEN_1, false) },
    { path: 'text_encoder_2/model.onnx', data: textEncoder(seed + 2, SDXL_HIDDEN_2, true) },
    { path: 'unet/model.onnx', data: unet(seed + 3) },
    // sample_size in latents: 128 → 1024² for base, 64 → 512² for Turbo (their real configs).
    { path: 'unet/config.json', data: json({ _class_name: 'UNet2DConditionModel', sample_size: variant === 'sdxl-base' ? 128 : 64, addition_embed_type: 'text_time', projection_class_embeddings_input_dim: 2816 }) },
    { path: 'vae_decoder/model.onnx', data: vaeDecoder(seed + 4) },
    { path: 'vae_decoder/config.json', data: json({ _class_name: 'AutoencoderKL', block_out_channels: [128, 256, 512, 512], scaling_factor: 0.13025, force_upcast: true }) },
    { path: 'vae_encoder/model.onnx', data: vaeEncoder(seed + 5) },
    ...tok1,
    ...tok2,
    { path: 'scheduler/scheduler_config.json', data: json(scheduler) },
    { path: 'model_index.json', data: json({ _class_name: 'ORTStableDiffusionXLPipeline', force_zeros_for_empty_prompt: true }) },
  ];
}
