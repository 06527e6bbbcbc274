/**
 * The denoise loop: seeded noise → (scale, UNet, guidance, scheduler step) × steps → latents,
 * for one image or a batch of them (unet-buffers.ts lays out the UNet's batch). img2img starts
 * from the init image's latents noised to the step `strength` selects; legacy inpainting blends
 * the known region back from the original after every step.
 */
import { checkpoint } from '../checkpoint.js';
import { TaskError } from '../../tasks/task-errors.js';
import { NoiseStream, TorchCpuGenerator } from './noise.js';
import { createScheduler, SchedulerError, type Scheduler, type SchedulerName } from './schedulers/index.js';
import type { SdModel } from './sd-model.js';
import { UnetBuffers } from './unet-buffers.js';
import { timeIds } from './sdxl-conditioning.js';
import type { PromptEmbeddings } from './text-encoder.js';

export { LATENT_CHANNELS, UnetBuffers } from './unet-buffers.js';

export interface GenerateOptions {
  width: number;
  height: number;
  steps: number;
  /** CFG weight when the prompt embeddings are a guided batch of 2; LCM's embedded w + 1 otherwise. */
  guidanceScale: number;
  scheduler: SchedulerName;
  seed: number;
  /** img2img: the start image's latents (already × the VAE scale) and how much to change it (0..1]. */
  init?: { latents: Float32Array; strength: number };
  /** Starting noise instead of randn(seed) (video interpolates noise between keyframes); images × size. */
  noise?: Float32Array;
  /** Images denoised together in one UNet batch (default 1); image k starts from randn(seed + k). */
  images?: number;
  /** Cross-request batching: image k's own seed (instead of seed + k) and guidance value. */
  seeds?: readonly number[];
  guidanceScales?: readonly number[];
  /**
   * Legacy inpainting on an ordinary UNet: per latent pixel (h/8 × w/8), 1 = repaint, 0 = keep
   * `init` (re-noised to each step's level). Needs `init`.
   */
  blendMask?: Float32Array;
  /** 9-channel inpainting UNets: mask + masked-image latents, f32 [5, h/8, w/8]. */
  unetExtra?: Float32Array;
  /** SDXL: the six time_ids (sdxl-conditioning.ts); default (h, w, 0, 0, h, w) of this size. */
  timeIds?: Float32Array;
  signal: AbortSignal;
  /** After each step: `done` of `total` steps that this call runs, and the latents so far (read only, reused); awaited. */
  onStep?(done: number, total: number, latents: Float32Array): void | Promise<void>;
}

export interface GeneratedLatents {
  /** f32 [images, 4, height/8, width/8]; each image's slice is ready for decodeLatents. */
  latents: Float32Array;
  /** Steps actually run (fewer than `steps` for img2img). */
  stepsRun: number;
  /** Milliseconds per step (UNet + guidance + scheduler). */
  stepMs: Float64Array;
  /** UNet runs per step (1 unless guidance had to run as two batch-1 halves). */
  launchesPerStep: number;
}

/** Whether a request runs classifier-free guidance on this model (LCM embeds it instead). */
export function usesCfg(model: SdModel, guidanceScale: number): boolean {
  return guidanceScale > 1 && model.unetIo.timestepCond === null;
}

function schedulerFor(model: SdModel, name: SchedulerName, steps: number, size: number): Scheduler {
  try {
    const s = createScheduler(name, model.schedulerConfig);
    s.setTimesteps(steps, size);
    return s;
  } catch (err) {
    if (err instanceof SchedulerError) {
      // The scheduler's own words (sigma bounds, table sizes) are for the log, via cause.
      throw new TaskError(`the ${name} scheduler cannot run ${steps} steps with this model's noise schedule; try another scheduler or another number of steps`, 'invalid_params', { cause: err });
    }
    throw err;
  }
}

/** `prompt`: one for all images, or one per image (cross-request batching). */
export async function generateLatents(model: SdModel, prompt: PromptEmbeddings | readonly PromptEmbeddings[], opts: GenerateOptions): Promise<GeneratedLatents> {
  const latentW = opts.width / 8;
  const latentH = opts.height / 8;
  if (!Number.isInteger(latentW) || !Number.isInteger(latentH)) throw new TaskError('width and height must be multiples of 8', 'invalid_params');
  const images = opts.images ?? 1;
  const plane = latentW * latentH;
  const ids = model.unetIo.timeIds ? (opts.timeIds ?? timeIds(opts, { originalSize: null, cropTopLeft: { top: 0, left: 0 } })) : null;
  const guidance = opts.guidanceScales ?? opts.guidanceScale;
  const buffers = new UnetBuffers(model, prompt, latentW, latentH, guidance, images, opts.unetExtra ?? null, ids);
  const size = buffers.size;
  const total = images * size;
  const scheduler = schedulerFor(model, opts.scheduler, opts.steps, total);
  // Image k draws from its own generator seeded seed + k: a batch reproduces k single runs.
  const generators = Array.from({ length: images }, (_, k) => new TorchCpuGenerator(opts.seeds?.[k] ?? opts.seed + k));
  const latents = new Float32Array(total);
  if (opts.noise) {
    if (opts.noise.length !== total) throw new RangeError(`noise has ${opts.noise.length} elements, expected ${total}`);
    latents.set(opts.noise);
  } else {
    for (let k = 0; k < images; k++) generators[k].randn(latents.subarray(k * size, (k + 1) * size));
  }
  let start = 0;
  let init: Float32Array | null = null;
  let noise: Float32Array | null = null;
  if (opts.init) {
    // diffusers img2img: keep the last ⌊steps·strength⌋ timesteps, noise the image to the first of them.
    const kept = Math.min(Math.floor(opts.steps * opts.init.strength), opts.steps);
    if (kept < 1) throw new TaskError(`steps × strength must be at least 1 (steps ${opts.steps}, strength ${opts.init.strength})`, 'invalid_params');
    if (opts.init.latents.length !== size) throw new RangeError(`init latents have ${opts.init.latents.length} elements, expected ${size}`);
    start = opts.steps - kept;
    init = new Float32Array(total);
    for (let k = 0; k < images; k++) init.set(opts.init.latents, k * size);
    noise = Float32Array.from(latents);
    // Strength 1 starts from pure noise as text-to-image does (diffusers' is_strength_max): the image is ignored.
    if (opts.init.strength >= 1) scaleBy(latents, scheduler.initNoiseSigma);
    else scheduler.addNoise(init, noise, start, latents);
  } else {
    scaleBy(latents, scheduler.initNoiseSigma);
  }
  const blend = opts.blendMask ?? null;
  if (blend && (!init || !noise)) throw new RangeError('the inpainting blend needs init latents');
  if (blend && blend.length !== plane) throw new RangeError(`blend mask has ${blend.length} elements, expected ${plane}`);
  const known = blend ? new Float32Array(total) : null;
  // Per-step noise (Euler ancestral, LCM) continues each image's generator, one latent-sized draw per step.
  const streams = generators.map((g) => new NoiseStream(g, size));
  let drawn = 0;
  const stepNoise = images === 1 ? streams[0].next : () => streams[Math.floor(drawn++ / size) % images].next();
  const run = opts.steps - start;
  const stepMs = new Float64Array(run);
  for (let i = start; i < opts.steps; i++) {
    await checkpoint(opts.signal);
    const t0 = performance.now();
    const eps = await buffers.predict(scheduler, latents, i, guidance);
    drawn = 0;
    scheduler.step(eps, i, latents, latents, stepNoise);
    if (blend && known && init && noise) {
      // Legacy inpainting: the known region is the original, re-noised to the next step's level.
      if (i + 1 < opts.steps) scheduler.addNoise(init, noise, i + 1, known);
      else known.set(init);
      for (let j = 0; j < total; j++) {
        const m = blend[j % plane];
        latents[j] = m * latents[j] + (1 - m) * known[j];
      }
    }
    stepMs[i - start] = performance.now() - t0;
    await opts.onStep?.(i - start + 1, run, latents);
  }
  return { latents, stepsRun: run, stepMs, launchesPerStep: buffers.launchesPerStep };
}

function scaleBy(x: Float32Array, k: number): void {
  for (let i = 0; i < x.length; i++) x[i] *= k;
}
