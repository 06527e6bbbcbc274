/**
 * `diffusion`: per-step time of the denoise loop (generateLatents: scale, f16 casts, UNet,
 * guidance, scheduler step, cancel checkpoint) against a bare loop of UNet runs on the same
 * inputs, i.e. the pipeline's overhead per step, and its fixed set-up cost per image (both from a
 * robust line through 1, N/2 and N steps, fitted per repetition); without
 * guidance (sd-turbo and sdxl-turbo, batch 1) and with it (sd15, batch 2). On the signature-exact test models, whose UNet is tiny, the overhead is
 * a large share of the step: an upper bound of what it is on real weights. Real weights in
 * ./models are measured too when installed. Batches, previews and img2img: diffusion-edit.ts;
 * cross-request batching 1, 2, 4: diffusion-batching.ts.
 */
import { cpSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestModels } from '../test/support/make-test.js';
import { buildWeightedSdTurboUnet } from '../test/support/test-models/sd.js';
import { TEST_MODEL_MARKER } from '../src/models/registry.js';
import { loadKernels } from '../src/native/index.js';
import { encodePrompt, generateLatents, openSdModel, usesCfg, type SdModel } from '../src/pipelines/image-creation/index.js';
import { createScheduler } from '../src/pipelines/image-creation/schedulers/index.js';
import { UnetBuffers } from '../src/pipelines/image-creation/unet-loop.js';
import { encodeSdxlPrompt, timeIds } from '../src/pipelines/image-creation/sdxl-conditioning.js';
import { benchSessions } from './sessions.js';
import { measureCrossBatching } from './diffusion-batching.js';
import { measureEditing } from './diffusion-edit.js';
import { fitSlope, interleave, slopeRow, summarize, timeMs } from './stats.js';
import type { BenchOptions, BenchRow } from './types.js';

interface Case {
  label: string;
  model: SdModel;
  size: number;
  steps: number;
  guidance: number;
  reps: number;
}

async function measure(c: Case, opts: BenchOptions): Promise<BenchRow[]> {
  const signal = new AbortController().signal;
  const guided = usesCfg(c.model, c.guidance);
  const prompt = c.model.sdxl
    ? await encodeSdxlPrompt(c.model, { prompt: 'a photo of a cat', negativePrompt: '', prompt_2: null, negativePrompt_2: null }, guided)
    : await encodePrompt(c.model, 'a photo of a cat', '', guided);
  const settings = (steps: number) => ({ width: c.size, height: c.size, steps, guidanceScale: c.guidance, scheduler: 'euler' as const, seed: 1, signal });
  // The bare loop feeds the UNet the very tensors the pipeline builds, and nothing else.
  const lat = c.size / 8;
  const ids = c.model.sdxl ? timeIds({ width: c.size, height: c.size }, { originalSize: null, cropTopLeft: { top: 0, left: 0 } }) : null;
  const bare = new UnetBuffers(c.model, prompt, lat, lat, c.guidance, 1, null, ids);
  const scheduler = createScheduler('euler', c.model.schedulerConfig);
  scheduler.setTimesteps(c.steps);
  bare.timestep.set(scheduler.timesteps[0]);
  const bareLoop = (steps: number) => timeMs(async () => {
    for (let i = 0; i < steps; i++) await c.model.unet.run(bare.feeds, bare.fetches);
  });
  opts.progress(`diffusion: ${c.label}`);
  // 1, about half and all N steps of each, fitted per repetition with a robust line (three
  // points, so one slow run cannot make the step cost up): the slope is the cost of a step, the
  // intercept the fixed cost per image (noise, buffers, scheduler set-up).
  const mid = Math.max(2, Math.round(c.steps / 2));
  const counts = [1, mid, c.steps];
  const t = await interleave({
    pipeline1: () => timeMs(() => generateLatents(c.model, prompt, settings(1))),
    pipelineMid: () => timeMs(() => generateLatents(c.model, prompt, settings(mid))),
    pipelineN: () => timeMs(() => generateLatents(c.model, prompt, settings(c.steps))),
    bare1: () => bareLoop(1),
    bareMid: () => bareLoop(mid),
    bareN: () => bareLoop(c.steps),
  }, c.reps);
  const fits = (a: number[], b: number[], n: number[]) => a.map((_, i) => fitSlope([[counts[0], a[i]], [counts[1], b[i]], [counts[2], n[i]]], { positive: true }));
  const bareFits = fits(t.bare1, t.bareMid, t.bareN);
  const pipe = fits(t.pipeline1, t.pipelineMid, t.pipelineN);
  const baseName = `bare unet loop, ${c.label}`;
  const note = `Theil–Sen over ${counts.join('/')} steps, per rep`;
  return [
    slopeRow('diffusion', baseName, 'ms/step', bareFits, note),
    // The ratio is the median of per-rep ratios: each rep's runs are adjacent in time, so they share the machine's load.
    { ...slopeRow('diffusion', `pipeline loop, ${c.label}`, 'ms/step', pipe, note), baseline: baseName, ratio: summarize(pipe.map((p, i) => p.slope / bareFits[i].slope)).median },
    setupRow(`pipeline set-up per image, ${c.label}`, pipe.map((p, i) => p.intercept - bareFits[i].intercept)),
  ];
}

/** A fixed cost cannot be negative: a repetition that makes it so was too noisy, and the row says so. */
function setupRow(name: string, xs: number[]): BenchRow {
  const s = summarize(xs);
  return { part: 'diffusion', name, unit: 'ms', ...s, noisy: s.min < 0, note: 'intercept of the fits, pipeline − bare' };
}

/** sd-turbo's test folder with a UNet that does three 160-wide 3x3 convs more per step. */
function weightedCopy(dir: string): string {
  const out = join(dir, 'weighted', 'sd-turbo');
  cpSync(join(dir, 'sd-turbo'), out, { recursive: true });
  writeFileSync(join(out, 'unet', 'model.onnx'), buildWeightedSdTurboUnet({ channels: 160, layers: 3 }));
  return out;
}

async function testModels(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'backserv-bench-sd-'));
  await makeTestModels(dir, ['sd-turbo', 'sd15', 'sdxl-turbo']);
  return dir;
}

export async function runDiffusionBench(opts: { quick: boolean; progress(msg: string): void }): Promise<BenchRow[]> {
  const sessions = benchSessions();
  const kernels = loadKernels();
  const rows: BenchRow[] = [];
  const dir = await testModels();
  const steps = opts.quick ? 8 : 20;
  const reps = opts.quick ? 3 : 7;
  const size = opts.quick ? 256 : 512;
  const turbo = await openSdModel(sessions, kernels, 'sd-turbo', join(dir, 'sd-turbo'));
  const sd15 = await openSdModel(sessions, kernels, 'sd15', join(dir, 'sd15'));
  rows.push(...(await measure({ label: `test sd-turbo ${size}² no CFG`, model: turbo, size, steps, guidance: 0, reps }, opts)));
  rows.push(...(await measure({ label: `test sd15 ${size}² CFG batch 2`, model: sd15, size, steps, guidance: 7.5, reps }, opts)));
  // SDXL adds text_embeds and time_ids feeds (written once per image, not per step).
  const xl = await openSdModel(sessions, kernels, 'sdxl-turbo', join(dir, 'sdxl-turbo'));
  rows.push(...(await measure({ label: `test sdxl-turbo ${size}² no CFG`, model: xl, size, steps, guidance: 0, reps }, opts)));
  // The overhead per step does not depend on the UNet, so its share does: against a UNet that
  // costs what a GPU step of SD-Turbo at 512² does (about 20–40 ms), the target is ≤ 3 %.
  const weighted = await openSdModel(sessions, kernels, 'sd-turbo', weightedCopy(dir));
  rows.push(...(await measure({ label: 'test sd-turbo + conv work (GPU-like step cost) 512² no CFG', model: weighted, size: 512, steps: opts.quick ? 8 : 16, guidance: 0, reps: reps + 2 }, opts)));
  rows.push(...(await measureEditing(weighted, opts.quick ? 256 : 512, opts.quick ? 4 : 8, opts.quick ? 2 : 3, opts)));
  rows.push(...(await measureCrossBatching(weighted, opts.quick ? 256 : 512, opts.quick ? 4 : 8, opts.quick ? 2 : 3, opts)));

  // Real weights, when an operator has installed them (not the test folders make-test writes).
  const installed = join(import.meta.dirname, '..', 'models');
  for (const id of ['sd-turbo', 'lcm-dreamshaper-v7', 'sd15', 'sdxl-turbo']) {
    const mdir = join(installed, id);
    if (!existsSync(join(mdir, 'unet', 'model.onnx')) || existsSync(join(mdir, TEST_MODEL_MARKER))) continue;
    opts.progress(`diffusion: loading real ${id}`);
    const model = await openSdModel(sessions, kernels, id, mdir);
    const guidance = id === 'sd15' ? 7.5 : 0;
    rows.push(...(await measure({ label: `${id} 512²`, model, size: 512, steps: opts.quick ? 2 : 4, guidance, reps: opts.quick ? 1 : 3 }, opts)));
  }
  return rows;
}
