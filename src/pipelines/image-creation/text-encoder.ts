/**
 * Prompt → CLIP hidden states. With guidance the negative prompt (or "") is encoded too and
 * the states are laid out [uncond, cond] along the batch, as the UNet's CFG batch wants them.
 * Each text runs as its own batch-1 encode so that exports with a fixed batch of 1 work.
 */
import type { SdModel } from './sd-model.js';
import { idsTensor, readFloats } from './tensor-io.js';
import { incompatible } from './tensor-io.js';

export interface PromptEmbeddings {
  /** f32 [batch, seqLen, hidden]: [uncond, cond] when batch is 2, else [cond]. */
  readonly states: Float32Array;
  readonly batch: 1 | 2;
  readonly seqLen: number;
  readonly hidden: number;
  /** SDXL: text encoder 2's pooled projection, f32 [batch, pooledDim] in the same order as `states`. */
  readonly pooled?: Float32Array;
  readonly pooledDim?: number;
}

async function encodeOne(model: SdModel, text: string): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const ids = model.tokenizer.encodePadded(text, { maxLength: model.maxLength });
  const out = await model.textEncoder.run({ [model.textIds.name]: idsTensor(model.textIds, ids) });
  const t = out[model.textOutput.name];
  if (t.dims.length !== 3) throw incompatible(`text encoder output has dims [${t.dims.join(',')}], expected [1, seq, hidden]`);
  return { data: readFloats(model.kernels, t), dims: t.dims };
}

export async function encodePrompt(model: SdModel, prompt: string, negativePrompt: string, guided: boolean): Promise<PromptEmbeddings> {
  const cond = await encodeOne(model, prompt);
  const [, seqLen, hidden] = cond.dims;
  if (!guided) return { states: Float32Array.from(cond.data), batch: 1, seqLen, hidden };
  const uncond = await encodeOne(model, negativePrompt);
  const states = new Float32Array(2 * seqLen * hidden);
  states.set(uncond.data, 0);
  states.set(cond.data, seqLen * hidden);
  return { states, batch: 2, seqLen, hidden };
}
