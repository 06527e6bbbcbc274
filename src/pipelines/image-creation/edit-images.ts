/**
 * The pixel side of img2img, inpainting and outpainting: the init image and mask brought to the
 * canvas (resize_mode, outpaint border), the mask blurred, the fill of the masked area, the
 * inpaint_full_res crop box, the latent-resolution masks, and the final composite that puts the
 * original back outside the mask (A1111's overlay), so unmasked pixels come back unchanged.
 */
import sharp, { type Sharp } from 'sharp';
import type { DecodedImage } from '../../imaging/decoded-image.js';
import { TaskError } from '../../tasks/task-errors.js';
import type { InpaintingFill, Outpaint, ResizeMode } from './edit-params.js';

/** u8 RGB, HWC. */
export interface Rgb {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Per pixel, 0 = keep, 1 = repaint. */
export interface Mask {
  data: Float32Array;
  width: number;
  height: number;
}

const FIT: Record<ResizeMode, 'cover' | 'contain' | 'fill'> = { crop: 'cover', fit: 'contain', stretch: 'fill' };

function raw(img: DecodedImage): Sharp {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } });
}

/** The image at w × h as RGB (alpha flattened onto black). */
export async function resizeRgb(img: DecodedImage, width: number, height: number, mode: ResizeMode): Promise<Rgb> {
  const { data, info } = await raw(img).flatten({ background: '#000000' }).resize(width, height, { fit: FIT[mode], background: '#000000' }).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** The mask at w × h through the same resize as the image: luminance (or alpha when all opaque-less) in [0, 1]. */
export async function resizeMask(img: DecodedImage, width: number, height: number, mode: ResizeMode): Promise<Mask> {
  const { data } = await raw(img).flatten({ background: '#000000' }).greyscale().resize(width, height, { fit: FIT[mode], background: '#000000' }).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  const out = new Float32Array(width * height);
  for (let i = 0; i < out.length; i++) out[i] = data[i] / 255;
  return { data: out, width, height };
}

/** Outpainting: the canvas grows by the border (edge pixels copied outwards); the border is the mask. */
export async function outpaintCanvas(image: Rgb, mask: Mask | null, o: Outpaint): Promise<{ image: Rgb; mask: Mask }> {
  const width = image.width + o.left + o.right;
  const height = image.height + o.top + o.bottom;
  const { data } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extend({ left: o.left, right: o.right, top: o.top, bottom: o.bottom, extendWith: 'copy' }).raw().toBuffer({ resolveWithObject: true });
  const m = new Float32Array(width * height).fill(1);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) m[(y + o.top) * width + x + o.left] = mask ? mask.data[y * image.width + x] : 0;
  }
  return { image: { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width, height }, mask: { data: m, width, height } };
}

/** Gaussian blur of the mask edge (σ = px). Applied before outpaintCanvas, so the original's pixels stay unmasked. */
export async function blurMask(mask: Mask, px: number): Promise<Mask> {
  if (px <= 0) return mask;
  const u8 = Uint8Array.from(mask.data, (v) => Math.round(v * 255));
  const data = await sharp(u8, { raw: { width: mask.width, height: mask.height, channels: 1 } }).blur(Math.max(0.3, px)).extractChannel(0).raw().toBuffer();
  const out = new Float32Array(mask.data.length);
  for (let i = 0; i < out.length; i++) out[i] = data[i] / 255;
  return { data: out, width: mask.width, height: mask.height };
}

/** Fails the task (after decoding, so not at the door) when the mask and init image differ in size. */
export function checkSameSize(init: DecodedImage, mask: DecodedImage): void {
  if (init.width !== mask.width || init.height !== mask.height) {
    throw new TaskError(`task_params.mask_image is ${mask.width}×${mask.height}, init_image is ${init.width}×${init.height}: they must be the same size`, 'invalid_params');
  }
}

/** `fill`: the masked area (≥ 0.5) takes the mean colour of the kept area before encoding. */
export function applyFill(image: Rgb, mask: Mask, fill: InpaintingFill): Rgb {
  if (fill !== 'fill') return image;
  const sum = [0, 0, 0];
  let n = 0;
  for (let i = 0; i < mask.data.length; i++) {
    if (mask.data[i] < 0.5) {
      for (let c = 0; c < 3; c++) sum[c] += image.data[i * 3 + c];
      n++;
    }
  }
  const mean = sum.map((s) => (n ? Math.round(s / n) : 128));
  const data = Uint8Array.from(image.data);
  for (let i = 0; i < mask.data.length; i++) if (mask.data[i] >= 0.5) for (let c = 0; c < 3; c++) data[i * 3 + c] = mean[c];
  return { ...image, data };
}

/** The image with the masked area (≥ 0.5) set to mid grey: the 9-channel UNet's masked image (0 in [−1, 1]). */
export function maskedImage(image: Rgb, mask: Mask): Rgb {
  const data = Uint8Array.from(image.data);
  for (let i = 0; i < mask.data.length; i++) if (mask.data[i] >= 0.5) data.fill(128, i * 3, i * 3 + 3);
  return { ...image, data };
}

/** The mask averaged over 8 × 8 blocks: latent resolution, one value per latent pixel. */
export function latentMask(mask: Mask): Float32Array {
  const lw = mask.width / 8;
  const lh = mask.height / 8;
  const out = new Float32Array(lw * lh);
  for (let y = 0; y < mask.height; y++) for (let x = 0; x < mask.width; x++) out[(y >> 3) * lw + (x >> 3)] += mask.data[y * mask.width + x] / 64;
  return out;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** inpaint_full_res: the mask's bounding box plus padding, grown to the canvas's aspect ratio and kept inside it. */
export function maskBox(mask: Mask, padding: number): Box | null {
  let x0 = mask.width;
  let y0 = mask.height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      if (mask.data[y * mask.width + x] > 0.004) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  let w = x1 - x0 + 1 + 2 * padding;
  let h = y1 - y0 + 1 + 2 * padding;
  const aspect = mask.width / mask.height;
  if (w / h < aspect) w = Math.round(h * aspect);
  else h = Math.round(w / aspect);
  w = Math.min(mask.width, Math.max(8, w));
  h = Math.min(mask.height, Math.max(8, h));
  const cx = (x0 + x1 + 1) / 2;
  const cy = (y0 + y1 + 1) / 2;
  const x = Math.min(mask.width - w, Math.max(0, Math.round(cx - w / 2)));
  const y = Math.min(mask.height - h, Math.max(0, Math.round(cy - h / 2)));
  return { x, y, width: w, height: h };
}

export async function cropResize(image: Rgb, box: Box, width: number, height: number): Promise<Rgb> {
  const { data } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left: box.x, top: box.y, width: box.width, height: box.height }).resize(width, height, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width, height };
}

export function cropMask(mask: Mask, box: Box): Mask {
  const data = new Float32Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) data.set(mask.data.subarray((box.y + y) * mask.width + box.x, (box.y + y) * mask.width + box.x + box.width), y * box.width);
  return { data, width: box.width, height: box.height };
}

/** Resizes `part` to the box and writes it into a copy of `canvas`. */
export async function pasteBack(canvas: Rgb, part: Rgb, box: Box): Promise<Rgb> {
  const { data } = await sharp(part.data, { raw: { width: part.width, height: part.height, channels: 3 } }).resize(box.width, box.height, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  const out = Uint8Array.from(canvas.data);
  for (let y = 0; y < box.height; y++) out.set(data.subarray(y * box.width * 3, (y + 1) * box.width * 3), ((box.y + y) * canvas.width + box.x) * 3);
  return { ...canvas, data: out };
}

/** original × (1 − m) + generated × m per pixel: outside the mask the original comes back exactly. */
export function composite(original: Rgb, generated: Uint8Array, mask: Mask): Uint8Array {
  const out = new Uint8Array(generated.length);
  for (let i = 0; i < mask.data.length; i++) {
    const m = mask.data[i];
    for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(original.data[i * 3 + c] * (1 - m) + generated[i * 3 + c] * m);
  }
  return out;
}
