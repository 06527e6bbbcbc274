/**
 * The model half of the upscaler: tile the RGB planes, run each padded tile through a
 * Real-ESRGAN-signature session (NCHW f32 RGB in [0,1] → ×s), and write each tile's core
 * into one u8 HWC output. Buffers are allocated once per task, not per tile.
 */
import { NORM_0_1, type Kernels } from '../../native/types.js';
import { tensor, type Session } from '../../runtime/index.js';
import { checkpoint } from '../checkpoint.js';
import { TaskError } from '../../tasks/task-errors.js';
import { DEFAULT_MEMORY_BYTES, UNKNOWN_MODEL_BYTES_PER_PIXEL, chooseTile, cropHwc, planTiles } from './tiles.js';

export interface UpscaleOptions {
  /** Tile side in input pixels, or null: the largest that fits `memoryBytes` (see chooseTile). */
  tile: number | null;
  pad: number;
  /** Working memory one tile run may use; with the model's bytes per input pixel it bounds the tile. */
  memoryBytes?: number;
  /** The model's working memory per input pixel (manifest `memoryPerInputPixel`). */
  memoryPerInputPixel?: number;
  /** Largest output (pixels) the task may allocate. */
  maxOutputPixels: number;
}

export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

export interface UpscaledRgb {
  data: Uint8Array;
  width: number;
  height: number;
  scale: number;
  tiles: number;
  inferenceMs: number;
}

export async function upscaleRgb(session: Session, kernels: Kernels, img: RgbImage, opts: UpscaleOptions,
  signal: AbortSignal, onTile: (done: number, total: number) => void): Promise<UpscaledRgb> {
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  const side = opts.tile ?? chooseTile(img.width, img.height, opts.pad, opts.memoryPerInputPixel ?? UNKNOWN_MODEL_BYTES_PER_PIXEL, opts.memoryBytes ?? DEFAULT_MEMORY_BYTES);
  const tiles = planTiles(img.width, img.height, side, opts.pad);
  const maxSide = tiles.reduce((m, t) => Math.max(m, t.pw, t.ph), 0);
  const crop = new Uint8Array(maxSide * maxSide * img.channels);
  const planes = new Float32Array(3 * maxSide * maxSide);
  let out: Uint8Array | null = null;
  let scale = 0;
  let inferenceMs = 0;

  for (let i = 0; i < tiles.length; i++) {
    await checkpoint(signal);
    const t = tiles[i];
    const pixels = cropHwc(img.data, img.width, img.channels, t.px, t.py, t.pw, t.ph, crop);
    const input = kernels.hwcToNchw(pixels, t.pw, t.ph, img.channels, NORM_0_1, planes.subarray(0, 3 * t.pw * t.ph));
    const started = performance.now();
    const result = await session.run({ [inputName]: tensor('float32', input, [1, 3, t.ph, t.pw]) });
    inferenceMs += performance.now() - started;
    const y = result[outputName];
    const [, , oh, ow] = y.dims;
    if (scale === 0) {
      scale = ow / t.pw;
      if (!Number.isInteger(scale) || scale < 1 || oh !== t.ph * scale) {
        throw new TaskError(`The upscale model returned ${ow}×${oh} for a ${t.pw}×${t.ph} tile; expected an integer scale.`, 'model_error');
      }
      if (img.width * scale * img.height * scale > opts.maxOutputPixels) {
        throw new TaskError(`A ${img.width}×${img.height} image at ×${scale} is over the output limit of ` +
          `${opts.maxOutputPixels} pixels; send a smaller image.`, 'image_too_large');
      }
      out = new Uint8Array(img.width * scale * img.height * scale * 3);
    }
    kernels.placeTile(y.data as Float32Array, ow, oh,
      (t.x - t.px) * scale, (t.y - t.py) * scale, t.w * scale, t.h * scale,
      out!, img.width * scale, img.height * scale, 3, t.x * scale, t.y * scale);
    y.dispose();
    onTile(i + 1, tiles.length);
  }
  return { data: out!, width: img.width * scale, height: img.height * scale, scale, tiles: tiles.length, inferenceMs };
}
