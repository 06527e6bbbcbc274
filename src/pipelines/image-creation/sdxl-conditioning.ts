/**
 * SDXL's conditioning: the prompt through both text encoders (each one's penultimate hidden
 * state, concatenated along the features: 768 + 1280 = 2048 for SDXL), encoder 2's pooled
 * `text_embeds`, and the micro-conditioning `time_ids` = (original h, w, crop top, left, target
 * h, w). With guidance the batch is [uncond, cond]; an empty negative prompt is all zeros, as
 * diffusers does for SDXL (force_zeros_for_empty_prompt).
 */
import type { Feeds } from '../../runtime/index.js';
import type { SdModel } from './sd-model.js';
import type { SdxlParts } from './sdxl-model.js';
import type { SdxlSettings } from './sdxl-params.js';
import { allocFloat, floatTensor, idsTensor, incompatible, readFloats, writeFloats } from './tensor-io.js';
import type { PromptEmbeddings } from './text-encoder.js';

export const TIME_IDS = 6;

interface Encoded {
  states: Float32Array;
  pooled: Float32Array;
  seqLen: number;
  hidden: number;
}

async function encodeOne(model: SdModel, xl: SdxlParts, text1: string, text2: string): Promise<Encoded> {
  const ids1 = model.tokenizer.encodePadded(text1, { maxLength: model.maxLength });
  const ids2 = xl.tokenizer2.encodePadded(text2, { maxLength: model.maxLength });
  const out1 = await model.textEncoder.run({ [model.textIds.name]: idsTensor(model.textIds, ids1) });
  const h1 = out1[xl.penultimate1];
  const a = Float32Array.from(readFloats(model.kernels, h1));
  const out2 = await xl.textEncoder2.run({ [xl.textIds2.name]: idsTensor(xl.textIds2, ids2) });
  const h2 = out2[xl.penultimate2];
  const b = readFloats(model.kernels, h2);
  const pooled = Float32Array.from(readFloats(model.kernels, out2[xl.pooled]));
  if (h1.dims.length !== 3 || h2.dims.length !== 3 || h1.dims[1] !== h2.dims[1]) {
    throw incompatible(`the SDXL text encoders' hidden states are [${h1.dims.join(',')}] and [${h2.dims.join(',')}], expected [1, seq, d1] and [1, seq, d2]`);
  }
  const [, seqLen, d1] = h1.dims;
  const d2 = h2.dims[2];
  const states = new Float32Array(seqLen * (d1 + d2));
  for (let t = 0; t < seqLen; t++) {
    states.set(a.subarray(t * d1, (t + 1) * d1), t * (d1 + d2));
    states.set(b.subarray(t * d2, (t + 1) * d2), t * (d1 + d2) + d1);
  }
  return { states, pooled, seqLen, hidden: d1 + d2 };
}

export interface SdxlPrompts extends Pick<SdxlSettings, 'prompt_2' | 'negativePrompt_2'> {
  prompt: string;
  negativePrompt: string;
}

export async function encodeSdxlPrompt(model: SdModel, p: SdxlPrompts, guided: boolean): Promise<PromptEmbeddings> {
  const xl = model.sdxl;
  if (!xl) throw new RangeError('encodeSdxlPrompt needs an SDXL model');
  const cond = await encodeOne(model, xl, p.prompt, p.prompt_2 ?? p.prompt);
  const { seqLen, hidden } = cond;
  const pooledDim = cond.pooled.length;
  if (!guided) return { states: cond.states, batch: 1, seqLen, hidden, pooled: cond.pooled, pooledDim };
  const neg2 = p.negativePrompt_2 ?? p.negativePrompt;
  const zeros = xl.zerosForEmptyNegative && p.negativePrompt === '' && neg2 === '';
  const uncond = zeros ? null : await encodeOne(model, xl, p.negativePrompt, neg2);
  const states = new Float32Array(2 * seqLen * hidden);
  const pooled = new Float32Array(2 * pooledDim);
  if (uncond) {
    states.set(uncond.states, 0);
    pooled.set(uncond.pooled, 0);
  }
  states.set(cond.states, seqLen * hidden);
  pooled.set(cond.pooled, pooledDim);
  return { states, batch: 2, seqLen, hidden, pooled, pooledDim };
}

/** (original h, w, crop top, left, target h, w); the original defaults to the target. */
export function timeIds(target: { width: number; height: number }, s: Pick<SdxlSettings, 'originalSize' | 'cropTopLeft'>): Float32Array {
  const o = s.originalSize ?? target;
  return Float32Array.of(o.height, o.width, s.cropTopLeft.top, s.cropTopLeft.left, target.height, target.width);
}

/**
 * The UNet's `text_embeds` and `time_ids` for one run: `texts` lists, in the run's batch order,
 * which prompt (0 = uncond or the only one, 1 = cond) each group of `images` entries carries.
 * Empty for a UNet without added conditioning.
 */
export function addedConditionFeeds(model: SdModel, prompts: readonly PromptEmbeddings[], ids: Float32Array | null, texts: readonly number[], images: number): Feeds {
  const { textEmbeds, timeIds: timeSpec } = model.unetIo;
  if (!textEmbeds || !timeSpec) return {};
  const prompt = prompts[0];
  // Each image its own pooled embeds: a cross-request batch mixes prompts.
  if (prompts.some((p) => !p.pooled || p.pooledDim !== prompt.pooledDim) || !prompt.pooledDim) throw incompatible('this unet takes text_embeds: the model needs an SDXL text_encoder_2');
  if (!ids || ids.length !== TIME_IDS) throw new RangeError('an SDXL unet needs the 6 time_ids');
  const batch = texts.length * images;
  const dim = prompt.pooledDim;
  const emb = new Float32Array(batch * dim);
  const time = new Float32Array(batch * TIME_IDS);
  let o = 0;
  for (const t of texts) {
    for (let k = 0; k < images; k++, o++) {
      emb.set(prompts[k].pooled!.subarray(t * dim, (t + 1) * dim), o * dim);
      time.set(ids, o * TIME_IDS);
    }
  }
  const embData = allocFloat(textEmbeds.type, emb.length);
  writeFloats(model.kernels, emb, embData);
  const timeData = allocFloat(timeSpec.type, time.length);
  writeFloats(model.kernels, time, timeData);
  return {
    [textEmbeds.spec.name]: floatTensor(textEmbeds.type, embData, [batch, dim]),
    [timeSpec.spec.name]: floatTensor(timeSpec.type, timeData, [batch, TIME_IDS]),
  };
}
