/**
 * The UNet's inputs and outputs for one latent size and one batch of images, allocated once
 * before the first step and reused; ONNX Runtime writes the output into a preallocated tensor.
 *
 * Layout: `images` latents go through ONE UNet run; with classifier-free guidance the run holds
 * [x₀…xₙ₋₁, x₀…xₙ₋₁] against states [uncond×n, cond×n] (diffusers' order). A UNet exported with
 * a fixed batch runs one image at a time (the pipeline sub-batches); with a fixed batch of 1 the
 * guidance halves run one after the other (twice the launches per step).
 *
 * Inpainting UNets (9 input channels) take [latents(4), mask(1), masked-image latents(4)] per
 * image: the last five channels are constant over the loop and written once here.
 */
import type { Feeds, Tensor } from '../../runtime/index.js';
import { getGuidanceScaleEmbedding, type Scheduler } from './schedulers/index.js';
import type { SdModel } from './sd-model.js';
import { allocFloat, floatTensor, incompatible, writeFloats, TimestepInput, type FloatBuffer } from './tensor-io.js';
import type { PromptEmbeddings } from './text-encoder.js';
import { addedConditionFeeds } from './sdxl-conditioning.js';

export const LATENT_CHANNELS = 4;
/** Channels an SD inpainting UNet takes after the latents: the mask and the masked image's latents. */
export const INPAINT_EXTRA_CHANNELS = 5;

/** One UNet run's feeds and preallocated outputs, and where its output lands in the f32 batch. */
interface UnetRun {
  feeds: Feeds;
  fetches: Record<string, Tensor>;
  out: FloatBuffer;
  offset: number;
}

/** Input channels the UNet's `sample` declares (4 for ordinary UNets, 9 for inpainting ones). */
export function unetInChannels(model: SdModel): number {
  const c = model.unetIo.sample.shape[1];
  return typeof c === 'number' ? c : LATENT_CHANNELS;
}

/** How many images one UNet run may hold for this export (a fixed batch dimension allows one). */
export function maxImagesPerRun(model: SdModel): number {
  return typeof model.unetIo.sample.shape[0] === 'number' ? 1 : Number.POSITIVE_INFINITY;
}

export class UnetBuffers {
  /** Latent elements of ONE image (4 × h × w). */
  readonly size: number;
  readonly images: number;
  /** 2 with classifier-free guidance, else 1. */
  readonly batch: 1 | 2;
  /** Guidance as two batch-1 runs (the export fixes batch 1). */
  readonly split: boolean;
  readonly inChannels: number;
  /** The first run's feeds and fetches (the only run unless split): what a bare loop feeds. */
  readonly feeds: Feeds;
  readonly fetches: Record<string, Tensor>;
  private readonly runs: UnetRun[];
  /** The UNet input in f32, [runBatch, inChannels, h, w]. */
  private readonly input: Float32Array;
  /** Scaled latents of all images when they cannot be scaled straight into `input` (9 channels). */
  private readonly scaled: Float32Array;
  private readonly inputHalf: Uint16Array | null;
  /** Every half's ε in f32 (batch × images × size). */
  private readonly outputF32: Float32Array;
  private readonly eps: Float32Array;
  readonly timestep: TimestepInput;

  /**
   * `extra`: for a 9-channel UNet, the mask and masked-image latents of one image, f32
   * [5, h, w], the same for every image of the batch. `prompt` and `guidanceScale` may be given
   * per image (cross-request batching: each image keeps its own request's text and guidance).
   * `timeIds`: SDXL's six micro-conditioning values (sdxl-conditioning.ts), fed with the pooled
   * text embeds when the UNet takes them.
   */
  constructor(private readonly model: SdModel, prompt: PromptEmbeddings | readonly PromptEmbeddings[], latentW: number, latentH: number, guidanceScale: number | readonly number[], images = 1, extra: Float32Array | null = null, timeIds: Float32Array | null = null) {
    const prompts = Array.isArray(prompt) ? prompt as readonly PromptEmbeddings[] : Array.from({ length: images }, () => prompt as PromptEmbeddings);
    if (prompts.length !== images) throw new RangeError(`${prompts.length} prompts for ${images} images`);
    prompt = prompts[0];
    const io = model.unetIo;
    const plane = latentW * latentH;
    this.size = LATENT_CHANNELS * plane;
    this.images = images;
    this.batch = prompt.batch;
    this.inChannels = unetInChannels(model);
    if (this.inChannels !== LATENT_CHANNELS && this.inChannels !== LATENT_CHANNELS + INPAINT_EXTRA_CHANNELS) {
      throw incompatible(`unet sample has ${this.inChannels} channels, expected 4 or 9`);
    }
    const nine = this.inChannels !== LATENT_CHANNELS;
    if (nine && (!extra || extra.length !== INPAINT_EXTRA_CHANNELS * plane)) {
      throw new RangeError('an inpainting UNet (9 input channels) needs the mask and masked-image latents of the image');
    }
    if (images > maxImagesPerRun(model)) throw new RangeError(`this UNet export fixes its batch: ${images} images cannot share a run`);
    this.split = this.batch === 2 && !io.batchOf2;
    const runBatch = this.split ? images : this.batch * images;
    const perSlot = this.inChannels * plane;
    const dims = [runBatch, this.inChannels, latentH, latentW];
    this.input = new Float32Array(runBatch * perSlot);
    if (nine) for (let b = 0; b < runBatch; b++) this.input.set(extra as Float32Array, b * perSlot + this.size);
    this.scaled = nine ? new Float32Array(images * this.size) : this.input.subarray(0, images * this.size);
    this.inputHalf = io.sampleType === 'float16' ? new Uint16Array(this.input.length) : null;
    const sample = this.inputHalf ? floatTensor('float16', this.inputHalf, dims) : floatTensor('float32', this.input, dims);
    this.timestep = new TimestepInput(io.timestep, model.kernels);
    const cond = io.timestepCond ? timestepCondFeed(model, io.timestepCond, runBatch, images, guidanceScale) : null;
    const outType = io.output.type === 'float16' ? 'float16' : 'float32';
    const outDims = [runBatch, LATENT_CHANNELS, latentH, latentW];
    this.outputF32 = new Float32Array(this.batch * images * this.size);
    const text = prompt.seqLen * prompt.hidden;
    for (const p of prompts) {
      if (p.batch !== this.batch || p.seqLen * p.hidden !== text) throw new RangeError('the images of one UNet batch need prompt states of one shape');
    }
    this.runs = [];
    for (let r = 0; r < (this.split ? 2 : 1); r++) {
      // Each run's states: one text (uncond or cond when split) per image, in the order of the layout.
      const texts = this.split ? [r] : this.batch === 2 ? [0, 1] : [0];
      const all = new Float32Array(runBatch * text);
      let o = 0;
      for (const t of texts) {
        for (let k = 0; k < images; k++, o += text) all.set(prompts[k].states.subarray(t * text, (t + 1) * text), o);
      }
      const states = allocFloat(io.hiddenType, all.length);
      writeFloats(model.kernels, all, states);
      const feeds: Feeds = {
        [io.sample.name]: sample,
        [io.timestep.name]: this.timestep.tensor,
        [io.hiddenStates.name]: floatTensor(io.hiddenType, states, [runBatch, prompt.seqLen, prompt.hidden]),
      };
      if (cond) feeds[cond.name] = cond.tensor;
      Object.assign(feeds, addedConditionFeeds(model, prompts, timeIds, texts, images));
      // ONNX Runtime writes straight into the f32 batch buffer when it can (one fp32 run).
      const direct = outType === 'float32' && !this.split;
      const out = direct ? this.outputF32 : allocFloat(outType, runBatch * this.size);
      this.runs.push({ feeds, fetches: { [io.output.name]: floatTensor(outType, out, outDims) }, out, offset: r * images * this.size });
    }
    this.feeds = this.runs[0].feeds;
    this.fetches = this.runs[0].fetches;
    this.eps = this.batch === 2 ? new Float32Array(images * this.size) : this.outputF32;
  }

  /** UNet launches per denoise step. */
  get launchesPerStep(): number {
    return this.runs.length;
  }

  /** Runs the UNet on `scheduler.scaleModelInput(latents)` (all images) and returns the (guided) ε; `guidanceScale` per image or one for all. */
  async predict(scheduler: Scheduler, latents: Float32Array, stepIndex: number, guidanceScale: number | readonly number[]): Promise<Float32Array> {
    const { kernels } = this.model;
    const n = this.images * this.size;
    scheduler.scaleModelInput(latents, stepIndex, this.scaled);
    if (this.inChannels !== LATENT_CHANNELS) {
      const perSlot = this.input.length / (this.split ? this.images : this.batch * this.images);
      for (let k = 0; k < this.images; k++) this.input.set(this.scaled.subarray(k * this.size, (k + 1) * this.size), k * perSlot);
      if (this.batch === 2 && !this.split) {
        for (let k = 0; k < this.images; k++) this.input.set(this.scaled.subarray(k * this.size, (k + 1) * this.size), (this.images + k) * perSlot);
      }
    } else if (this.batch === 2 && !this.split) {
      this.input.copyWithin(n, 0, n);
    }
    if (this.inputHalf) kernels.f32ToF16(this.input, this.inputHalf);
    this.timestep.set(scheduler.timesteps[stepIndex]);
    for (const run of this.runs) {
      await this.model.unet.run(run.feeds, run.fetches);
      if (run.out instanceof Uint16Array) kernels.f16ToF32(run.out, this.outputF32.subarray(run.offset, run.offset + run.out.length));
      else if (run.out !== this.outputF32) this.outputF32.set(run.out, run.offset);
    }
    if (this.batch === 2) {
      // The CFG combine per row: each image uses its own request's guidance value.
      const out = this.outputF32;
      for (let k = 0; k < this.images; k++) {
        const g = typeof guidanceScale === 'number' ? guidanceScale : guidanceScale[k];
        for (let i = k * this.size, end = i + this.size; i < end; i++) {
          const u = out[i];
          this.eps[i] = u + g * (out[n + i] - u);
        }
      }
    }
    return this.eps;
  }
}

/** LCM's guidance embedding input: entry b holds image (b mod images)'s guidance. */
function timestepCondFeed(model: SdModel, spec: NonNullable<SdModel['unetIo']['timestepCond']>, batch: number, images: number, guidanceScale: number | readonly number[]): { name: string; tensor: Tensor } {
  const scaleOf = (k: number) => (typeof guidanceScale === 'number' ? guidanceScale : guidanceScale[k]);
  const embs = Array.from({ length: images }, (_, k) => getGuidanceScaleEmbedding(scaleOf(k) - 1, spec.dim));
  const cond = new Float32Array(batch * spec.dim);
  for (let b = 0; b < batch; b++) cond.set(embs[b % images], b * spec.dim);
  const data = allocFloat(spec.type, cond.length);
  writeFloats(model.kernels, cond, data);
  return { name: spec.spec.name, tensor: floatTensor(spec.type, data, [batch, spec.dim]) };
}
