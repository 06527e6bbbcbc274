/**
 * An installed Stable Diffusion folder (diffusers ONNX layout) opened for inference: the
 * sessions, the tokenizer, the scheduler config, and what each session's inputs want (read
 * from the session, never assumed). Sessions come from the worker's SessionCache, so a model
 * loads once per worker; the tokenizer is memoised alongside that cache.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Kernels } from '../../native/types.js';
import type { SessionCache, Session, ValueSignature } from '../../runtime/index.js';
import { loraSessions, type AppliedLora } from './lora-sessions.js';
import type { LoraRequest } from './lora-params.js';
import { readConfig } from './model-info.js';
import type { RawSchedulerConfig } from './schedulers/index.js';
import { ClipTokenizer, readHfBpe, readPadToken } from './tokenizer/index.js';
import { floatType, incompatible, inputSpec, outputSpec, type FloatType } from './tensor-io.js';
import { openSdxlParts, SDXL_VAE_SCALING, type SdxlParts } from './sdxl-model.js';

/** SD 1.x/2.x VAE latent scale; a `vae_decoder/config.json` with `scaling_factor` overrides it. */
export const DEFAULT_VAE_SCALING = 0.18215;

export interface UnetIo {
  sample: ValueSignature;
  sampleType: FloatType;
  timestep: ValueSignature;
  hiddenStates: ValueSignature;
  hiddenType: FloatType;
  /** LCM's guidance embedding input, when the export has one. */
  timestepCond: { spec: ValueSignature; type: FloatType; dim: number } | null;
  output: ValueSignature;
  /** SDXL's added conditioning: `text_embeds` [B, 1280] and `time_ids` [B, 6], when the export has them. */
  textEmbeds: { spec: ValueSignature; type: FloatType } | null;
  timeIds: { spec: ValueSignature; type: FloatType } | null;
  /** The export accepts a batch of 2 (dynamic or fixed 2): CFG runs both halves at once. */
  batchOf2: boolean;
}

export interface SdModel {
  readonly id: string;
  readonly dir: string;
  readonly kernels: Kernels;
  readonly tokenizer: ClipTokenizer;
  readonly schedulerConfig: RawSchedulerConfig;
  readonly vaeScaling: number;
  readonly textEncoder: Session;
  readonly textIds: ValueSignature;
  readonly textOutput: ValueSignature;
  /** Token sequence length the encoder takes (77 unless the export fixes another). */
  readonly maxLength: number;
  readonly unet: Session;
  readonly unetIo: UnetIo;
  readonly vaeDecoder: Session;
  readonly vaeDecoderIn: ValueSignature;
  readonly vaeDecoderOut: ValueSignature;
  /** SDXL: the second text encoder and its tokenizer; null for SD 1.x/2.x. */
  readonly sdxl: SdxlParts | null;
  /** The LoRAs merged into textEncoder and unet (empty: the model's own weights). */
  readonly loras: readonly AppliedLora[];
  /** img2img only: loaded on first use. */
  vaeEncoder(): Promise<{ session: Session; input: ValueSignature; output: ValueSignature }>;
}

const tokenizers = new WeakMap<SessionCache, Map<string, ClipTokenizer>>();

/** The pad token: tokenizer_config.json first, then special_tokens_map.json; none → EOS. */
function padToken(tokenizerDir: string): string | undefined {
  for (const file of ['tokenizer_config.json', 'special_tokens_map.json']) {
    const path = join(tokenizerDir, file);
    if (!existsSync(path)) continue;
    const pad = readPadToken(path);
    if (pad !== undefined) return pad;
  }
  return undefined;
}

/** The tokenizer in `dir/sub` (SDXL's second one is `tokenizer_2`, padding with "!"). */
export function loadTokenizer(sessions: SessionCache, dir: string, sub = 'tokenizer'): ClipTokenizer {
  let byDir = tokenizers.get(sessions);
  if (!byDir) tokenizers.set(sessions, (byDir = new Map()));
  const tdir = join(dir, sub);
  const hit = byDir.get(tdir);
  if (hit) return hit;
  const tok = new ClipTokenizer(readHfBpe(join(tdir, 'vocab.json'), join(tdir, 'merges.txt')), padToken(tdir));
  byDir.set(tdir, tok);
  return tok;
}

function addedInput(unet: Session, name: string): { spec: ValueSignature; type: FloatType } | null {
  if (!unet.inputMetadata.some((m) => m.name === name)) return null;
  const spec = inputSpec(unet, [name], 'unet');
  return { spec, type: floatType(spec, 'unet input') };
}

function unetIo(unet: Session): UnetIo {
  const sample = inputSpec(unet, ['sample'], 'unet');
  const hiddenStates = inputSpec(unet, ['encoder_hidden_states'], 'unet');
  const timestep = inputSpec(unet, ['timestep'], 'unet');
  const condMeta = unet.inputMetadata.find((m) => m.name === 'timestep_cond');
  let timestepCond: UnetIo['timestepCond'] = null;
  if (condMeta) {
    const spec = inputSpec(unet, ['timestep_cond'], 'unet');
    const declared = spec.shape[spec.shape.length - 1];
    // LCM-Dreamshaper's time_cond_proj_dim is 256; a symbolic last dim falls back to it.
    timestepCond = { spec, type: floatType(spec, 'unet input'), dim: typeof declared === 'number' ? declared : 256 };
  }
  if (sample.shape.length !== 4) throw incompatible(`unet sample has rank ${sample.shape.length}, expected 4`);
  const batch = sample.shape[0];
  return {
    sample,
    sampleType: floatType(sample, 'unet input'),
    timestep,
    hiddenStates,
    hiddenType: floatType(hiddenStates, 'unet input'),
    timestepCond,
    output: outputSpec(unet, ['out_sample'], 'unet'),
    textEmbeds: addedInput(unet, 'text_embeds'),
    timeIds: addedInput(unet, 'time_ids'),
    batchOf2: typeof batch !== 'number' || batch === 2,
  };
}

/** LoRAs to merge: the folder they are read from and the request's list. */
export interface LoraChoice {
  dir: string;
  requests: readonly LoraRequest[];
}

export async function openSdModel(sessions: SessionCache, kernels: Kernels, id: string, dir: string, lora?: LoraChoice): Promise<SdModel> {
  const schedulerConfig = readConfig(dir, 'scheduler/scheduler_config.json') ?? {};
  const vaeConfig = readConfig(dir, 'vae_decoder/config.json') ?? {};
  const tokenizer = loadTokenizer(sessions, dir);
  // Sequential on purpose: each load already uses the worker's intra-op threads.
  const merged = lora ? await loraSessions(sessions, id, dir, lora.dir, lora.requests) : null;
  const textEncoder = merged?.textEncoder ?? await sessions.get(join(dir, 'text_encoder', 'model.onnx'));
  const sdxl = existsSync(join(dir, 'text_encoder_2', 'model.onnx')) ? await openSdxlParts(sessions, dir, textEncoder, loadTokenizer(sessions, dir, 'tokenizer_2'), merged?.textEncoder2) : null;
  const vaeScaling = typeof vaeConfig.scaling_factor === 'number' ? vaeConfig.scaling_factor : sdxl ? SDXL_VAE_SCALING : DEFAULT_VAE_SCALING;
  const unet = merged?.unet ?? await sessions.get(join(dir, 'unet', 'model.onnx'));
  const vaeDecoder = await sessions.get(join(dir, 'vae_decoder', 'model.onnx'));
  const io = unetIo(unet);
  if (sdxl && (!io.textEmbeds || !io.timeIds)) throw incompatible('an SDXL unet (the folder has text_encoder_2) must take text_embeds and time_ids');
  const vaeDecoderIn = inputSpec(vaeDecoder, ['latent_sample'], 'vae decoder');
  // The SDXL VAE overflows in fp16 (NaN images); its config says force_upcast. The fp16-fix VAE says false.
  if (sdxl && vaeDecoderIn.type === 'float16' && vaeConfig.force_upcast === true) {
    throw incompatible('this SDXL vae_decoder runs in float16 but is not the fp16-fix VAE (its config sets force_upcast); install the fp32 export or madebyollin/sdxl-vae-fp16-fix');
  }
  const textIds = inputSpec(textEncoder, ['input_ids'], 'text encoder');
  const seqDim = textIds.shape[1];
  let encoder: Awaited<ReturnType<SdModel['vaeEncoder']>> | null = null;
  return {
    id,
    dir,
    kernels,
    tokenizer,
    schedulerConfig,
    vaeScaling,
    textEncoder,
    textIds,
    textOutput: outputSpec(textEncoder, ['last_hidden_state'], 'text encoder'),
    maxLength: typeof seqDim === 'number' && seqDim > 1 ? seqDim : 77,
    unet,
    unetIo: io,
    sdxl,
    vaeDecoder,
    vaeDecoderIn,
    loras: merged?.applied ?? [],
    vaeDecoderOut: outputSpec(vaeDecoder, ['sample'], 'vae decoder'),
    async vaeEncoder() {
      if (encoder) return encoder;
      const session = await sessions.get(join(dir, 'vae_encoder', 'model.onnx'));
      encoder = {
        session,
        input: inputSpec(session, ['sample'], 'vae encoder'),
        output: outputSpec(session, ['latent_sample', 'latent_parameters'], 'vae encoder'),
      };
      return encoder;
    },
  };
}
