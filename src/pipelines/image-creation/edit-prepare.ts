/**
 * Loads and arranges an editing request's pixels before any model runs: the init image on its
 * canvas (resize_mode, then the outpaint border), the mask (resized alike, blurred, the border
 * added), and for inpaint_full_res the crop box the model works on at full width × height.
 */
import type { PipelineContext } from '../types.js';
import type { EditSettings } from './edit-params.js';
import { applyFill, blurMask, checkSameSize, cropMask, cropResize, maskBox, outpaintCanvas, resizeMask, resizeRgb, type Box, type Mask, type Rgb } from './edit-images.js';

export interface PreparedEdit {
  /** The canvas the result has: the init image at width × height, grown by the outpaint border. */
  canvas: Rgb;
  /** Repaint mask on the canvas (blurred); null for plain img2img. */
  canvasMask: Mask | null;
  /** What the model works on (the canvas, or the crop box resized to width × height), fill applied. */
  work: Rgb;
  /** The work image before the fill (9-channel UNets mask it themselves). */
  workOriginal: Rgb;
  workMask: Mask | null;
  /** inpaint_full_res: where `work` goes back on the canvas. */
  box: Box | null;
}

export async function prepareEdit(e: EditSettings, width: number, height: number, ctx: Pick<PipelineContext, 'loadImage'>): Promise<PreparedEdit> {
  if (!e.initImage) throw new RangeError('prepareEdit needs an init image');
  const [init, maskSrc] = await Promise.all([
    ctx.loadImage(e.initImage, 'init_image'),
    e.maskImage ? ctx.loadImage(e.maskImage, 'mask_image') : Promise.resolve(null),
  ]);
  if (maskSrc) checkSameSize(init, maskSrc);
  let canvas = await resizeRgb(init, width, height, e.resizeMode);
  let canvasMask = maskSrc ? await blurMask(await resizeMask(maskSrc, width, height, e.resizeMode), e.maskBlur) : null;
  if (e.outpaint) {
    const grown = await outpaintCanvas(canvas, canvasMask, e.outpaint);
    canvas = grown.image;
    canvasMask = grown.mask;
  }
  let workOriginal = canvas;
  let workMask = canvasMask;
  let box: Box | null = null;
  if (e.inpaintFullRes && canvasMask) {
    box = maskBox(canvasMask, e.padding);
    if (box) {
      workOriginal = await cropResize(canvas, box, width, height);
      const crop = cropMask(canvasMask, box);
      const u8 = { data: Uint8Array.from(crop.data, (v) => Math.round(v * 255)), width: crop.width, height: crop.height, channels: 3 as const, hasAlpha: false };
      // The crop of the mask, resized like the image (grey → 3 channels for the shared resize).
      const rgbMask = new Uint8Array(crop.data.length * 3);
      for (let i = 0; i < crop.data.length; i++) rgbMask.fill(u8.data[i], i * 3, i * 3 + 3);
      workMask = await resizeMask({ ...u8, data: rgbMask }, width, height, 'stretch');
    }
  }
  const work = workMask ? applyFill(workOriginal, workMask, e.inpaintingFill) : workOriginal;
  return { canvas, canvasMask, work, workOriginal, workMask, box };
}
