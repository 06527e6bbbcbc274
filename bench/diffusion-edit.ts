/**
 * `diffusion` (editing and batch rows): images/s of one batch-4 UNet loop against four batch-1
 * loops (seeds s..s+3), the cost of one live preview as a share of a step (what the loop's thread
 * pays: the latents → RGB map and the stored PNG; the file write, which overlaps the next steps, is
 * reported apart as the time until the file is there), and img2img at strength 0.5 against text-to-image (the same steps setting). Measured
 * with the GPU-like weighted test UNet, whose step costs about what a real one does on a GPU.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePrompt, generateLatents, randn, type SdModel } from '../src/pipelines/image-creation/index.js';
import { latentRgbMap } from '../src/pipelines/image-creation/preview.js';
import { PreviewQueue } from '../src/pipelines/image-creation/preview-queue.js';
import { interleave, summarize, timeMs } from './stats.js';
import type { BenchOptions, BenchRow } from './types.js';

export async function measureEditing(model: SdModel, size: number, steps: number, reps: number, opts: BenchOptions): Promise<BenchRow[]> {
  const signal = new AbortController().signal;
  const prompt = await encodePrompt(model, 'a photo of a cat', '', false);
  const base = { width: size, height: size, steps, guidanceScale: 0, scheduler: 'euler' as const, seed: 1, signal };
  const lat = size / 8;
  const init = randn(3, 4 * lat * lat);
  for (let i = 0; i < init.length; i++) init[i] *= 0.18215 * 4;
  const dir = mkdtempSync(join(tmpdir(), 'backserv-bench-preview-'));
  const latents = randn(4, 4 * lat * lat);
  const queue = new PreviewQueue(dir, 'bench', { lw: lat, lh: lat }, latentRgbMap(false), () => undefined);
  opts.progress(`diffusion: batch 4 vs 4 × batch 1, previews, img2img at ${size}²`);
  const t = await interleave({
    batch4: () => timeMs(() => generateLatents(model, prompt, { ...base, images: 4 })),
    single4: () => timeMs(async () => {
      for (let k = 0; k < 4; k++) await generateLatents(model, prompt, { ...base, seed: 1 + k });
    }),
    txt2img: () => timeMs(() => generateLatents(model, prompt, base)),
    img2img: () => timeMs(() => generateLatents(model, prompt, { ...base, init: { latents: init, strength: 0.5 } })),
    preview: async () => {
      // The synchronous part only (the step loop's share), the file awaited outside the clock; the
      // median of a few, as a task's previews come every few steps of a long-lived worker (the
      // first one of a process also pays for compiling the code).
      const ms: number[] = [];
      for (let k = 0; k < 5; k++) {
        const t0 = performance.now();
        queue.offer(latents, 1);
        ms.push(performance.now() - t0);
        await queue.drain();
      }
      return summarize(ms).median;
    },
    previewWrite: () => timeMs(async () => {
      queue.offer(latents, 1);
      await queue.drain();
    }),
  }, reps);
  const ips = (ms: number[]) => summarize(ms.map((x) => 4000 / x));
  const stepMs = t.txt2img.map((x) => x / steps);
  const label = `weighted test UNet ${size}² ${steps} steps`;
  return [
    { part: 'diffusion', name: `4 × batch 1, ${label}`, unit: 'images/s', ...ips(t.single4) },
    { part: 'diffusion', name: `batch 4, ${label}`, unit: 'images/s', ...ips(t.batch4), baseline: `4 × batch 1, ${label}`, ratio: summarize(t.batch4.map((x, i) => t.single4[i] / x)).median },
    { part: 'diffusion', name: `preview on the loop thread, ${label}`, unit: '% of a step', ...summarize(t.preview.map((x, i) => (100 * x) / stepMs[i])) },
    { part: 'diffusion', name: `preview until its file is written (the write overlaps the next steps), ${label}`, unit: 'ms', ...summarize(t.previewWrite) },
    { part: 'diffusion', name: `txt2img, ${label}`, unit: 'ms', ...summarize(t.txt2img) },
    { part: 'diffusion', name: `img2img strength 0.5, ${label}`, unit: 'ms', ...summarize(t.img2img), baseline: `txt2img, ${label}`, ratio: summarize(t.img2img.map((x, i) => x / t.txt2img[i])).median },
  ];
}
