/**
 * An editing request in latent space: the init image's latents, and what the UNet loop needs
 * for inpainting: for an inpainting UNet (9 input channels) the mask and the masked image's
 * latents fed beside the latents every step; for an ordinary UNet the latent mask of the
 * legacy blend (the known region re-noised from the original after every step).
 */
import type { InpaintingFill } from './edit-params.js';
import { latentMask, maskedImage, type Mask, type Rgb } from './edit-images.js';
import type { PreparedEdit } from './edit-prepare.js';
import { randn } from './noise.js';
import type { SdModel } from './sd-model.js';
import { INPAINT_EXTRA_CHANNELS, LATENT_CHANNELS, unetInChannels } from './unet-buffers.js';
import { encodeImage } from './vae.js';

export interface EditLatents {
  mode: 'img2img' | 'inpaint' | 'inpaint_unet';
  /** The work image's latents (× the VAE scale), f32 [4, h/8, w/8]. */
  init: Float32Array;
  blendMask?: Float32Array;
  unetExtra?: Float32Array;
}

/** Posterior samples draw from their own stream (seed + this), apart from the starting noise's. */
const POSTERIOR_SEED_OFFSET = 0x5eed;

const encode = (model: SdModel, img: Rgb, seed: number) => encodeImage(model, { ...img, channels: 3 }, (seed + POSTERIOR_SEED_OFFSET) % 2 ** 32);

/** For a 9-channel UNet: [mask ≥ 0.5 (1 channel), masked-image latents (4)] at latent size. */
async function inpaintExtra(model: SdModel, image: Rgb, mask: Mask, seed: number): Promise<Float32Array> {
  const plane = (image.width / 8) * (image.height / 8);
  const extra = new Float32Array(INPAINT_EXTRA_CHANNELS * plane);
  const m = latentMask(mask);
  for (let p = 0; p < plane; p++) extra[p] = m[p] >= 0.5 ? 1 : 0;
  extra.set(await encode(model, maskedImage(image, mask), seed), plane);
  return extra;
}

export async function editLatents(model: SdModel, prep: PreparedEdit | null, seed: number, fill: InpaintingFill, width: number, height: number): Promise<EditLatents | null> {
  const nine = unetInChannels(model) === LATENT_CHANNELS + INPAINT_EXTRA_CHANNELS;
  if (!prep) {
    if (!nine) return null;
    // Text-to-image on an inpainting UNet: everything is masked, the masked image is empty.
    const grey: Rgb = { data: new Uint8Array(width * height * 3).fill(128), width, height };
    const all: Mask = { data: new Float32Array(width * height).fill(1), width, height };
    return { mode: 'inpaint_unet', init: new Float32Array(LATENT_CHANNELS * (width / 8) * (height / 8)), unetExtra: await inpaintExtra(model, grey, all, seed) };
  }
  const init = await encode(model, prep.work, seed);
  const mask = prep.workMask;
  if (!mask) {
    if (!nine) return { mode: 'img2img', init };
    const none: Mask = { data: new Float32Array(width * height), width, height };
    return { mode: 'inpaint_unet', init, unetExtra: await inpaintExtra(model, prep.workOriginal, none, seed) };
  }
  const lm = latentMask(mask);
  if (fill === 'latent_noise') {
    // The masked latents start as pure noise (the first image's starting noise).
    const noise = randn(seed, init.length);
    const plane = lm.length;
    for (let i = 0; i < init.length; i++) if (lm[i % plane] >= 0.5) init[i] = noise[i];
  }
  if (nine) return { mode: 'inpaint_unet', init, unetExtra: await inpaintExtra(model, prep.workOriginal, mask, seed) };
  return { mode: 'inpaint', init, blendMask: lm };
}
