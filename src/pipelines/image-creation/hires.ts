/**
 * The hires fix's middle step: one image's first-pass latents brought to the large size, either
 * on the latents (bilinear, half-pixel centres: no VAE round trip, as A1111's "Latent" upscaler)
 * or through pixels: VAE decode → an installed image_upscale model (×4 for Real-ESRGAN) → Lanczos
 * to the exact size → VAE encode. The img2img pass that follows is the ordinary denoise loop.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { TaskError } from '../../tasks/task-errors.js';
import { checkpoint } from '../checkpoint.js';
import { upscaleRgb } from '../image-upscale/upscale-rgb.js';
import type { PipelineContext } from '../types.js';
import { LATENT_UPSCALER } from './hires-params.js';
import type { SdModel } from './sd-model.js';
import { LATENT_CHANNELS } from './unet-buffers.js';
import { decodeLatents, encodeImage } from './vae.js';

export interface Size {
  width: number;
  height: number;
}

/** Bilinear resize of f32 [4, h, w] latents (pixel centres aligned, edges clamped). */
export function upscaleLatents(latents: Float32Array, from: Size, to: Size): Float32Array {
  const out = new Float32Array(LATENT_CHANNELS * to.width * to.height);
  const sx = from.width / to.width;
  const sy = from.height / to.height;
  const inPlane = from.width * from.height;
  const outPlane = to.width * to.height;
  for (let y = 0; y < to.height; y++) {
    const fy = Math.min(from.height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(from.height - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < to.width; x++) {
      const fx = Math.min(from.width - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(from.width - 1, x0 + 1);
      const wx = fx - x0;
      for (let c = 0; c < LATENT_CHANNELS; c++) {
        const p = c * inPlane;
        const top = latents[p + y0 * from.width + x0] * (1 - wx) + latents[p + y0 * from.width + x1] * wx;
        const bottom = latents[p + y1 * from.width + x0] * (1 - wx) + latents[p + y1 * from.width + x1] * wx;
        out[c * outPlane + y * to.width + x] = top * (1 - wy) + bottom * wy;
      }
    }
  }
  return out;
}

/**
 * One image's latents (× the VAE scale) at `target` pixels, from its first-pass latents at
 * `base` pixels. `sampleSeed` draws the VAE posterior sample on the pixel path.
 */
export async function upscaleForHires(model: SdModel, latents: Float32Array, base: Size, target: Size, upscaler: string, sampleSeed: number,
  ctx: Pick<PipelineContext, 'models' | 'sessions' | 'kernels' | 'env' | 'signal'>): Promise<Float32Array> {
  if (upscaler === LATENT_UPSCALER) return upscaleLatents(latents, { width: base.width / 8, height: base.height / 8 }, { width: target.width / 8, height: target.height / 8 });
  const resolved = ctx.models.resolve('image_upscale', upscaler);
  if (!resolved || resolved.id !== upscaler) throw new TaskError(`task_params.hires.upscaler: "${upscaler}" is not installed any more`, 'model_unavailable');
  const rgb = await decodeLatents(model, latents, base.width, base.height, { signal: ctx.signal });
  await checkpoint(ctx.signal);
  const session = await ctx.sessions.get(join(resolved.dir, 'model.onnx'));
  const up = await upscaleRgb(session, ctx.kernels, { data: rgb.data, width: base.width, height: base.height, channels: 3 },
    { ...ctx.env.upscale, memoryPerInputPixel: resolved.memoryPerInputPixel }, ctx.signal, () => undefined);
  const resized = await sharp(up.data, { raw: { width: up.width, height: up.height, channels: 3 } })
    .resize(target.width, target.height, { kernel: 'lanczos3', fit: 'fill' }).raw().toBuffer();
  await checkpoint(ctx.signal);
  return encodeImage(model, { data: new Uint8Array(resized.buffer, resized.byteOffset, resized.length), width: target.width, height: target.height, channels: 3 }, sampleSeed);
}
