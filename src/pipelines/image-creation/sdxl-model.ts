/**
 * The SDXL half of an installed folder (Optimum's export layout): the second text encoder
 * (OpenCLIP bigG with projection) and its tokenizer, and which outputs of the two encoders SDXL
 * reads: each one's penultimate hidden state (`hidden_states.{L−1}` of L+1; the last one before
 * the final layer norm is not it) and the second one's projected pooled output `text_embeds`.
 */
import { join } from 'node:path';
import type { Session, SessionCache, ValueSignature } from '../../runtime/index.js';
import { readConfig } from './model-info.js';
import { incompatible, inputSpec, outputSpec } from './tensor-io.js';
import type { ClipTokenizer } from './tokenizer/index.js';

/** SDXL's VAE latent scale, when vae_decoder/config.json does not say. */
export const SDXL_VAE_SCALING = 0.13025;

export interface SdxlParts {
  readonly tokenizer2: ClipTokenizer;
  readonly textEncoder2: Session;
  readonly textIds2: ValueSignature;
  /** Output names: the penultimate hidden state of each encoder, and encoder 2's pooled projection. */
  readonly penultimate1: string;
  readonly penultimate2: string;
  readonly pooled: string;
  /** An empty negative prompt becomes zero embeddings (diffusers' force_zeros_for_empty_prompt, on unless model_index.json says false). */
  readonly zerosForEmptyNegative: boolean;
}

/** `hidden_states.{L−1}` where L is the highest index the export gives. */
export function penultimateOutput(session: Session, what: string): string {
  const indices = session.outputNames.map((n) => /^hidden_states\.(\d+)$/.exec(n)).filter((m) => m !== null).map((m) => Number(m[1]));
  if (indices.length < 2) throw incompatible(`${what} must export its hidden states (hidden_states.0 … hidden_states.L); it has ${session.outputNames.join(', ')}`);
  const name = `hidden_states.${Math.max(...indices) - 1}`;
  if (!session.outputNames.includes(name)) throw incompatible(`${what} has no ${name}`);
  return name;
}

/** `merged2`: the second text encoder with LoRAs merged in, when a request has some for it. */
export async function openSdxlParts(sessions: SessionCache, dir: string, textEncoder: Session, tokenizer2: ClipTokenizer, merged2?: Session | null): Promise<SdxlParts> {
  const textEncoder2 = merged2 ?? await sessions.get(join(dir, 'text_encoder_2', 'model.onnx'));
  const pooled = outputSpec(textEncoder2, ['text_embeds'], 'text encoder 2');
  if (pooled.name !== 'text_embeds') throw incompatible('text encoder 2 has no text_embeds output (the projected pooled embedding)');
  const index = readConfig(dir, 'model_index.json');
  return {
    tokenizer2,
    textEncoder2,
    textIds2: inputSpec(textEncoder2, ['input_ids'], 'text encoder 2'),
    penultimate1: penultimateOutput(textEncoder, 'text encoder'),
    penultimate2: penultimateOutput(textEncoder2, 'text encoder 2'),
    pooled: pooled.name,
    zerosForEmptyNegative: index?.force_zeros_for_empty_prompt !== false,
  };
}
