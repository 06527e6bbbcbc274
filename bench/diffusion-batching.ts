/**
 * `diffusion` (cross-request batching rows): images/s of four different requests (own prompt,
 * seed) denoised with BACKSERV_MAX_BATCH 1, 2 and 4, i.e. four batch-1 loops, two batch-2 loops or
 * one batch-4 loop with per-row prompt states and seeds (what runImageCreationBatch runs), in the
 * same run, on the GPU-like weighted test UNet. On a CPU whose cores one batch-1 UNet run already
 * keeps busy, a batch gains little: the same arithmetic runs either way.
 */
import { encodePrompt, generateLatents, type PromptEmbeddings, type SdModel } from '../src/pipelines/image-creation/index.js';
import { interleave, summarize, timeMs } from './stats.js';
import type { BenchOptions, BenchRow } from './types.js';

const PROMPTS = ['a photo of a cat', 'a red house by the sea', 'mountains at dawn', 'an old paper map'];

export async function measureCrossBatching(model: SdModel, size: number, steps: number, reps: number, opts: BenchOptions): Promise<BenchRow[]> {
  const signal = new AbortController().signal;
  const prompts: PromptEmbeddings[] = [];
  for (const p of PROMPTS) prompts.push(await encodePrompt(model, p, '', false));
  const base = { width: size, height: size, steps, guidanceScale: 0, scheduler: 'euler' as const, seed: 0, signal };
  /** The four requests in batches of `b`. */
  const run = (b: number) => timeMs(async () => {
    for (let from = 0; from < PROMPTS.length; from += b) {
      const seeds = Array.from({ length: b }, (_, k) => 100 + from + k);
      await generateLatents(model, prompts.slice(from, from + b), { ...base, images: b, seeds, guidanceScales: seeds.map(() => 0) });
    }
  });
  opts.progress(`diffusion: cross-request batching 1, 2, 4 at ${size}²`);
  const t = await interleave({ b1: () => run(1), b2: () => run(2), b4: () => run(4) }, reps);
  const perS = (ms: number[]) => summarize(ms.map((x) => (PROMPTS.length * 1000) / x));
  const label = (b: number) => `cross-request batching ${b} (4 requests), GPU-like test UNet ${size}² ${steps} steps`;
  const ratio = (ms: number[]) => summarize(ms.map((x, i) => t.b1[i] / x)).median;
  return [
    { part: 'diffusion', name: label(1), unit: 'images/s', ...perS(t.b1) },
    { part: 'diffusion', name: label(2), unit: 'images/s', ...perS(t.b2), baseline: label(1), ratio: ratio(t.b2) },
    { part: 'diffusion', name: label(4), unit: 'images/s', ...perS(t.b4), baseline: label(1), ratio: ratio(t.b4) },
  ];
}
