/**
 * The denoise loop: seeded noise → (scale, UNet, guidance, scheduler step) × steps → latents.
 * Every buffer the loop touches (UNet input and output, the guided ε, the timestep) is made
 * once before the first step and reused; ONNX Runtime writes the UNet output into a
 * preallocated tensor. With guidance both halves ([uncond, cond]) go through ONE UNet run of
 * batch 2 (two batch-1 runs when the export fixes batch 1).
 */
import type { Feeds, Tensor } from '../../runtime/index.js';
import { checkpoint } from '../checkpoint.js';
import { TaskError } from '../../tasks/task-errors.js';
import { NoiseStream, TorchCpuGenerator } from './noise.js';
import { createScheduler, getGuidanceScaleEmbedding, SchedulerError, type Scheduler, type SchedulerName } from './schedulers/index.js';
import type { SdModel } from './sd-model.js';
import { allocFloat, floatTensor, writeFloats, TimestepInput, type FloatBuffer } from './tensor-io.js';
import type { PromptEmbeddings } from './text-encoder.js';

export const LATENT_CHANNELS = 4;

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
  /** Starting noise instead of randn(seed) (video interpolates noise between keyframes). */
  noise?: Float32Array;
  signal: AbortSignal;
  /** After each step: `done` of `total` steps that this call runs. */
  onStep?(done: number, total: number): void;
}

export interface GeneratedLatents {
  /** f32 [1, 4, height/8, width/8], ready for decodeLatents. */
  latents: Float32Array;
  /** Steps actually run (fewer than `steps` for img2img). */
  stepsRun: number;
  /** Milliseconds per step (UNet + guidance + scheduler). */
  stepMs: Float64Array;
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

/** One UNet run's feeds and preallocated outputs, and where its output lands in the f32 batch. */
interface UnetRun {
  feeds: Feeds;
  fetches: Record<string, Tensor>;
  out: FloatBuffer;
  offset: number;
}

/**
 * The UNet's inputs and output for one latent size and batch, allocated once. A UNet exported
 * with a fixed batch of 1 still gets guidance: the two halves then run one after the other
 * (same sample and timestep, uncond then cond states), at twice the launches per step.
 */
export class UnetBuffers {
  readonly size: number;
  readonly batch: 1 | 2;
  /** Guidance as two batch-1 runs (the export fixes batch 1). */
  readonly split: boolean;
  /** The first run's feeds and fetches (the only run unless split): what a bare loop feeds. */
  readonly feeds: Feeds;
  readonly fetches: Record<string, Tensor>;
  private readonly runs: UnetRun[];
  /** Scaled model input in f32, runBatch × size; the first `size` are written each step. */
  private readonly input: Float32Array;
  private readonly inputHead: Float32Array;
  private readonly inputHalf: Uint16Array | null;
  /** Both halves' ε in f32 (batch × size). */
  private readonly outputF32: Float32Array;
  private readonly eps: Float32Array;
  readonly timestep: TimestepInput;

  constructor(private readonly model: SdModel, prompt: PromptEmbeddings, latentW: number, latentH: number, guidanceScale: number) {
    const io = model.unetIo;
    this.size = LATENT_CHANNELS * latentW * latentH;
    this.batch = prompt.batch;
    this.split = this.batch === 2 && !io.batchOf2;
    const runBatch = this.split ? 1 : this.batch;
    const dims = [runBatch, LATENT_CHANNELS, latentH, latentW];
    this.input = new Float32Array(runBatch * this.size);
    this.inputHead = this.input.subarray(0, this.size);
    this.inputHalf = io.sampleType === 'float16' ? new Uint16Array(runBatch * this.size) : null;
    const sample = this.inputHalf ? floatTensor('float16', this.inputHalf, dims) : floatTensor('float32', this.input, dims);
    this.timestep = new TimestepInput(io.timestep, model.kernels);
    const cond = io.timestepCond ? timestepCondFeed(model, io.timestepCond, runBatch, guidanceScale) : null;
    const outType = io.output.type === 'float16' ? 'float16' : 'float32';
    this.outputF32 = new Float32Array(this.batch * this.size);
    // Each run reads its share of the prompt states ([uncond, cond] when split).
    const statesPerRun = prompt.states.length / (this.split ? 2 : 1);
    this.runs = [];
    for (let r = 0; r < (this.split ? 2 : 1); r++) {
      const states = allocFloat(io.hiddenType, statesPerRun);
      writeFloats(model.kernels, prompt.states.subarray(r * statesPerRun, (r + 1) * statesPerRun), states);
      const feeds: Feeds = {
        [io.sample.name]: sample,
        [io.timestep.name]: this.timestep.tensor,
        [io.hiddenStates.name]: floatTensor(io.hiddenType, states, [runBatch, prompt.seqLen, prompt.hidden]),
      };
      if (cond) feeds[cond.name] = cond.tensor;
      // ONNX Runtime writes straight into the f32 batch buffer when it can (one fp32 run).
      const direct = outType === 'float32' && !this.split;
      const out = direct ? this.outputF32 : allocFloat(outType, runBatch * this.size);
      this.runs.push({ feeds, fetches: { [io.output.name]: floatTensor(outType, out, dims) }, out, offset: r * this.size });
    }
    this.feeds = this.runs[0].feeds;
    this.fetches = this.runs[0].fetches;
    this.eps = this.batch === 2 ? new Float32Array(this.size) : this.outputF32;
  }

  /** Runs the UNet on `scheduler.scaleModelInput(latents)` and returns the (guided) ε prediction. */
  async predict(scheduler: Scheduler, latents: Float32Array, stepIndex: number, guidanceScale: number): Promise<Float32Array> {
    const { kernels } = this.model;
    scheduler.scaleModelInput(latents, stepIndex, this.inputHead);
    if (this.batch === 2 && !this.split) this.input.copyWithin(this.size, 0, this.size);
    if (this.inputHalf) kernels.f32ToF16(this.input, this.inputHalf);
    this.timestep.set(scheduler.timesteps[stepIndex]);
    for (const run of this.runs) {
      await this.model.unet.run(run.feeds, run.fetches);
      if (run.out instanceof Uint16Array) kernels.f16ToF32(run.out, this.outputF32.subarray(run.offset, run.offset + run.out.length));
      else if (run.out !== this.outputF32) this.outputF32.set(run.out, run.offset);
    }
    if (this.batch === 2) {
      const out = this.outputF32;
      const n = this.size;
      const g = guidanceScale;
      for (let i = 0; i < n; i++) {
        const u = out[i];
        this.eps[i] = u + g * (out[n + i] - u);
      }
    }
    return this.eps;
  }
}

/** LCM's guidance embedding input, the same for every batch entry. */
function timestepCondFeed(model: SdModel, spec: NonNullable<SdModel['unetIo']['timestepCond']>, batch: number, guidanceScale: number): { name: string; tensor: Tensor } {
  const emb = getGuidanceScaleEmbedding(guidanceScale - 1, spec.dim);
  const cond = new Float32Array(batch * spec.dim);
  for (let b = 0; b < batch; b++) cond.set(emb, b * spec.dim);
  const data = allocFloat(spec.type, cond.length);
  writeFloats(model.kernels, cond, data);
  return { name: spec.spec.name, tensor: floatTensor(spec.type, data, [batch, spec.dim]) };
}

export async function generateLatents(model: SdModel, prompt: PromptEmbeddings, opts: GenerateOptions): Promise<GeneratedLatents> {
  const latentW = opts.width / 8;
  const latentH = opts.height / 8;
  if (!Number.isInteger(latentW) || !Number.isInteger(latentH)) throw new TaskError('width and height must be multiples of 8', 'invalid_params');
  const buffers = new UnetBuffers(model, prompt, latentW, latentH, opts.guidanceScale);
  const size = buffers.size;
  const scheduler = schedulerFor(model, opts.scheduler, opts.steps, size);
  const generator = new TorchCpuGenerator(opts.seed);
  const latents = new Float32Array(size);
  if (opts.noise) {
    if (opts.noise.length !== size) throw new RangeError(`noise has ${opts.noise.length} elements, expected ${size}`);
    latents.set(opts.noise);
  } else {
    generator.randn(latents);
  }
  let start = 0;
  if (opts.init) {
    // diffusers img2img: keep the last ⌊steps·strength⌋ timesteps, noise the image to the first of them.
    const kept = Math.min(Math.floor(opts.steps * opts.init.strength), opts.steps);
    if (kept < 1) throw new TaskError(`steps × strength must be at least 1 (steps ${opts.steps}, strength ${opts.init.strength})`, 'invalid_params');
    if (opts.init.latents.length !== size) throw new RangeError(`init latents have ${opts.init.latents.length} elements, expected ${size}`);
    start = opts.steps - kept;
    scheduler.addNoise(opts.init.latents, latents, start, latents);
  } else {
    const sigma = scheduler.initNoiseSigma;
    for (let i = 0; i < size; i++) latents[i] *= sigma;
  }
  // Per-step noise (Euler ancestral, LCM) continues the same generator, one latent-sized draw per step.
  const stepNoise = new NoiseStream(generator, size);
  const total = opts.steps - start;
  const stepMs = new Float64Array(total);
  for (let i = start; i < opts.steps; i++) {
    await checkpoint(opts.signal);
    const t0 = performance.now();
    const eps = await buffers.predict(scheduler, latents, i, opts.guidanceScale);
    scheduler.step(eps, i, latents, latents, stepNoise.next);
    stepMs[i - start] = performance.now() - t0;
    opts.onStep?.(i - start + 1, total);
  }
  return { latents, stepsRun: total, stepMs };
}
