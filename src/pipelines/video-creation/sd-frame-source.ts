/**
 * Frames from an image diffusion model (MODELS.md §6): keyframes by text-to-image, the frames
 * shown by img2img from the previous frame.
 *
 * - Keyframe k (text-to-image) starts from noise N_k = slerp(N_{k−1}, randn(seed + k), walk):
 *   with motion 0 every keyframe is the same image, with motion 1 they are independent.
 *   Keyframe 0 starts from randn(seed), the noise image_creation uses for the same seed.
 * - Keyframe b is generated before the frames between a and b. Frame j, at t = (j − a)/(b − a),
 *   starts from the previous frame's latents pulled 1/(b − j + 1) of the way toward keyframe
 *   b's (so the chain arrives at b instead of drifting off), re-noised at `strength` with noise
 *   slerp(N_a, N_b, t), and denoised with embeddings lerp(E_a, E_b, t). Every input changes a
 *   little from one frame to the next, so the picture does too.
 * - Keyframes are anchors, not shown raw: the frame at a keyframe's position is the same img2img
 *   step applied to it, so it looks like its neighbours (a raw text-to-image frame pops out
 *   of an img2img chain).
 * - img2img works on the previous frame's latents directly, not on its decoded pixels: the same
 *   image the decoder shows, without a VAE encoder run per frame or a round trip's loss
 *   accumulating along the chain.
 *
 * Memory: a few latent frames (keyframes a and b, the previous frame, scratch) and one RGB
 * frame at a time.
 */
import { checkpoint } from '../checkpoint.js';
import {
  decodeLatents,
  encodePrompt,
  generateLatents,
  LATENT_CHANNELS,
  randn,
  type PromptEmbeddings,
  type SdModel,
} from '../image-creation/index.js';
import type { SchedulerName } from '../image-creation/schedulers/index.js';
import type { FrameSource, VideoFrame } from './frame-source.js';
import { lerp, slerp } from './interpolate.js';
import type { VideoPlan } from './plan.js';

export interface SdFrameSourceOptions {
  model: SdModel;
  /** The prompt of keyframe k (one prompt for the whole video today; a prompt schedule later). */
  promptAt(keyframe: number): string;
  negativePrompt: string;
  width: number;
  height: number;
  seed: number;
  plan: VideoPlan;
  /** Keyframe (text-to-image) settings; every shown frame then takes one img2img pass of plan.img2imgSteps. */
  steps: number;
  guidanceScale: number;
  guided: boolean;
  scheduler: SchedulerName;
}

export interface SdFrameStats {
  /** Text-to-image keyframes generated. */
  keyframes: number;
  /** img2img runs: one per shown frame. */
  refined: number;
  /** UNet runs, all frames. */
  unetSteps: number;
  promptMs: number;
  denoiseMs: number;
  decodeMs: number;
}

interface Key {
  pos: number;
  noise: Float32Array;
  prompt: PromptEmbeddings;
  latents: Float32Array;
}

export class SdFrameSource implements FrameSource {
  readonly width: number;
  readonly height: number;
  readonly frameCount: number;
  readonly stats: SdFrameStats = { keyframes: 0, refined: 0, unetSteps: 0, promptMs: 0, decodeMs: 0, denoiseMs: 0 };
  private readonly prompts = new Map<string, PromptEmbeddings>();

  constructor(private readonly o: SdFrameSourceOptions) {
    this.width = o.width;
    this.height = o.height;
    this.frameCount = o.plan.frames;
  }

  async *frames(signal: AbortSignal): AsyncGenerator<VideoFrame> {
    const { plan, seed } = this.o;
    const size = LATENT_CHANNELS * (this.width / 8) * (this.height / 8);
    const init = new Float32Array(size);
    const noise = new Float32Array(size);
    let a = await this.keyframe(0, randn(seed, size), signal);
    let prev = await this.refine(a.latents, a.noise, a.prompt, signal);
    yield { index: 0, rgb: await this.decode(prev, signal), kind: 'keyframe' };
    for (let k = 1; k < plan.keyframes.length; k++) {
      await checkpoint(signal);
      const b = await this.keyframe(k, slerp(a.noise, randn(seed + k, size), plan.keyframeWalk), signal);
      for (let j = a.pos + 1; j <= b.pos; j++) {
        await checkpoint(signal);
        const t = (j - a.pos) / (b.pos - a.pos);
        // Pull the previous frame toward keyframe b so that the chain arrives there (at j = b: b itself).
        const pull = 1 / (b.pos - j + 1);
        for (let i = 0; i < size; i++) init[i] = prev[i] + pull * (b.latents[i] - prev[i]);
        prev = await this.refine(init, slerp(a.noise, b.noise, t, noise), this.promptBetween(a.prompt, b.prompt, t), signal);
        yield { index: j, rgb: await this.decode(prev, signal), kind: j === b.pos ? 'keyframe' : 'inbetween' };
      }
      a = b;
    }
  }

  /** The img2img step every shown frame goes through (so keyframes look like the frames around them). */
  private async refine(latents: Float32Array, noise: Float32Array, prompt: PromptEmbeddings, signal: AbortSignal): Promise<Float32Array> {
    const out = await this.denoise(prompt, signal, { steps: this.o.plan.img2imgSteps, noise, init: { latents, strength: this.o.plan.strength } });
    this.stats.refined++;
    return out;
  }

  private async keyframe(k: number, noise: Float32Array, signal: AbortSignal): Promise<Key> {
    const prompt = await this.embeddings(this.o.promptAt(k));
    // Keyframe 0 lets generateLatents draw randn(seed) itself (the same values as `noise`), so
    // that schedulers which add noise per step continue the generator as image_creation does.
    const latents = await this.denoise(prompt, signal, { steps: this.o.steps, noise: k === 0 ? undefined : noise });
    this.stats.keyframes++;
    return { pos: this.o.plan.keyframes[k], noise, prompt, latents };
  }

  private async denoise(
    prompt: PromptEmbeddings,
    signal: AbortSignal,
    x: { steps: number; noise?: Float32Array; init?: { latents: Float32Array; strength: number } },
  ): Promise<Float32Array> {
    const t0 = performance.now();
    const gen = await generateLatents(this.o.model, prompt, {
      width: this.width,
      height: this.height,
      guidanceScale: this.o.guidanceScale,
      scheduler: this.o.scheduler,
      seed: this.o.seed,
      signal,
      ...x,
    });
    this.stats.unetSteps += gen.stepsRun;
    this.stats.denoiseMs += performance.now() - t0;
    return gen.latents;
  }

  private async decode(latents: Float32Array, signal: AbortSignal): Promise<Uint8Array> {
    const t0 = performance.now();
    const rgb = await decodeLatents(this.o.model, latents, this.width, this.height, { signal });
    this.stats.decodeMs += performance.now() - t0;
    return rgb.data;
  }

  /** Each distinct prompt text is encoded once per video. */
  private async embeddings(text: string): Promise<PromptEmbeddings> {
    const hit = this.prompts.get(text);
    if (hit) return hit;
    const t0 = performance.now();
    const e = await encodePrompt(this.o.model, text, this.o.negativePrompt, this.o.guided);
    this.stats.promptMs += performance.now() - t0;
    this.prompts.set(text, e);
    return e;
  }

  private promptBetween(a: PromptEmbeddings, b: PromptEmbeddings, t: number): PromptEmbeddings {
    if (a === b) return a;
    return { ...a, states: lerp(a.states, b.states, t) };
  }
}
