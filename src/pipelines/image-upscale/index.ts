/**
 * image_upscale: fetch → decode → tiled ×4 model → resize to scale_factor (as Real-ESRGAN's
 * `outscale`, Lanczos) → face_enhance, if asked, on the faces of the upscaled RGB → alpha
 * upscaled separately (bicubic, as realesrgan-ncnn-vulkan) → PNG with metadata.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { encodePng } from '../../imaging/png-text.js';
import { inNative } from '../../runtime/native-gate.js';
import type { ResultMeta } from '../../tasks/types.js';
import { checkpoint } from '../checkpoint.js';
import type { TaskParams } from '../params/types.js';
import { type PipelineContext } from '../types.js';
import { writeResultFile } from '../write-result.js';
import { installedModel } from '../installed-model.js';
import { parse, type UpscaleSettings } from './params.js';
import { upscaleRgb } from './upscale-rgb.js';
import { FaceEnhancer } from '../face-enhance/face-enhancer.js';
import { enhanceImageFaces, type ImageEnhanceReport } from '../face-enhance/enhance-image.js';

export async function runImageUpscale(params: TaskParams, ctx: PipelineContext): Promise<ResultMeta> {
  const settings = parse(params, installedModel(ctx.models, 'image_upscale', 'upscale'));
  return upscale(settings, ctx);
}

async function upscale({ imageUrl, scaleFactor, model, faceEnhance }: UpscaleSettings, ctx: PipelineContext): Promise<ResultMeta> {
  const t0 = performance.now();
  const img = await ctx.loadImage(imageUrl, 'image_url');
  const tFetched = performance.now();
  const session = await ctx.sessions.get(join(model.dir, 'model.onnx'));
  const enhancer = faceEnhance ? await FaceEnhancer.create(ctx, 'image_upscale', faceEnhance) : null;
  const tLoaded = performance.now();

  const opts = { ...ctx.env.upscale, memoryPerInputPixel: model.memoryPerInputPixel };
  const up = await upscaleRgb(session, ctx.kernels, img, opts, ctx.signal, (d, n) => ctx.progress(d, n));
  await checkpoint(ctx.signal);
  const width = img.width * scaleFactor;
  const height = img.height * scaleFactor;
  let rgb: Buffer | Uint8Array = up.data;
  if (up.width !== width || up.height !== height) {
    rgb = await inNative(() => sharp(up.data, { raw: { width: up.width, height: up.height, channels: 3 } })
      .resize(width, height, { kernel: 'lanczos3', fit: 'fill' }).raw().toBuffer());
  }
  let faces: ImageEnhanceReport | null = null;
  if (enhancer) {
    await checkpoint(ctx.signal);
    faces = await enhanceImageFaces({ data: rgb, width, height, channels: 3, hasAlpha: false }, enhancer, ctx);
  }
  let channels: 3 | 4 = 3;
  let pixels: Uint8Array = rgb;
  if (img.hasAlpha) {
    const alpha = await inNative(() => sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } })
      .extractChannel(3).resize(width, height, { kernel: 'cubic', fit: 'fill' }).raw().toBuffer());
    pixels = interleaveAlpha(rgb, alpha);
    channels = 4;
  }
  const tUpscaled = performance.now();
  const png = await encodePng(pixels, width, height, channels, {
    Software: 'Back.Serv',
    'backserv:model': model.id,
    'backserv:scale_factor': String(scaleFactor),
    ...(enhancer ? { 'backserv:face_enhancer': enhancer.modelId } : {}),
  });
  const file = `${ctx.ticketId}.png`;
  await writeResultFile(ctx.resultsDir, file, png);
  const ms = (a: number, b: number) => Math.round(b - a);
  return {
    file,
    content_type: 'image/png',
    width,
    height,
    model: model.id,
    scale_factor: scaleFactor,
    tiles: up.tiles,
    ...(enhancer && faces ? { face_enhancer: enhancer.modelId, faces_enhanced: faces.faces, detector: faces.detector } : {}),
    timings: {
      fetch_decode_ms: ms(t0, tFetched),
      model_load_ms: ms(tFetched, tLoaded),
      inference_ms: Math.round(up.inferenceMs),
      upscale_total_ms: ms(tLoaded, tUpscaled),
      ...(enhancer && faces ? { face_detect_ms: Math.round(faces.detectMs), enhance_ms: Math.round(enhancer.ms) } : {}),
      encode_ms: ms(tUpscaled, performance.now()),
    },
  };
}

function interleaveAlpha(rgb: Uint8Array, alpha: Uint8Array): Uint8Array {
  const n = alpha.length;
  const out = new Uint8Array(n * 4);
  for (let i = 0, j = 0, k = 0; i < n; i++, j += 3, k += 4) {
    out[k] = rgb[j];
    out[k + 1] = rgb[j + 1];
    out[k + 2] = rgb[j + 2];
    out[k + 3] = alpha[i];
  }
  return out;
}
