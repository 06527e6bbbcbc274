/**
 * Tile plan for super-resolution (Real-ESRGAN's scheme): cores of `tile` px cover the
 * image; each is run with `pad` px of real context on every side (clipped at the borders),
 * and only the core of the output is kept, so seams vanish once `pad` covers the model's
 * receptive field. Memory per run is bounded by (tile + 2·pad)², whatever the image size.
 */
export interface Tile {
  /** Core region in input pixels. */
  x: number;
  y: number;
  w: number;
  h: number;
  /** Padded region that is fed to the model. */
  px: number;
  py: number;
  pw: number;
  ph: number;
}

export function planTiles(width: number, height: number, tile: number, pad: number): Tile[] {
  if (!(tile > 0) || !(pad >= 0)) throw new RangeError('tile must be > 0 and pad >= 0');
  const tiles: Tile[] = [];
  for (let y = 0; y < height; y += tile) {
    for (let x = 0; x < width; x += tile) {
      const w = Math.min(tile, width - x);
      const h = Math.min(tile, height - y);
      const px = Math.max(0, x - pad);
      const py = Math.max(0, y - pad);
      const pw = Math.min(width, x + w + pad) - px;
      const ph = Math.min(height, y + h + pad) - py;
      tiles.push({ x, y, w, h, px, py, pw, ph });
    }
  }
  return tiles;
}

/** A model whose working memory per input pixel is not in the manifest is assumed this heavy (x4plus-class). */
export const UNKNOWN_MODEL_BYTES_PER_PIXEL = 16 * 1024;
export const DEFAULT_MEMORY_BYTES = 1024 * 1024 * 1024;
/**
 * The most input pixels one automatic run takes, whatever the budget: cancel and progress act
 * between runs, so one run stays a few seconds on a CPU (640²: a 512² photo is still one run).
 */
export const MAX_RUN_PIXELS = 640 * 640;

/**
 * The tile side for an image: the whole image in one run when its working memory fits the
 * budget (no padded borders recomputed: as fast as one raw session run), else the largest square
 * whose padded run fits, shrunk so the tiles split the longer side evenly (no thin last row).
 */
export function chooseTile(width: number, height: number, pad: number, bytesPerPixel: number, budgetBytes: number): number {
  const maxPixels = Math.min(MAX_RUN_PIXELS, Math.floor(budgetBytes / bytesPerPixel));
  const longer = Math.max(width, height);
  if (width * height <= maxPixels) return longer;
  const fits = Math.max(16, Math.floor(Math.sqrt(maxPixels)) - 2 * pad);
  const n = Math.ceil(longer / fits);
  return Math.min(fits, Math.ceil(longer / n / 8) * 8);
}

/** Copy a region of an HWC image into a contiguous buffer (row copies, no per-pixel work). */
export function cropHwc(src: Uint8Array, width: number, channels: number,
  x: number, y: number, w: number, h: number, out: Uint8Array): Uint8Array {
  const row = w * channels;
  for (let r = 0; r < h; r++) {
    const start = ((y + r) * width + x) * channels;
    out.set(src.subarray(start, start + row), r * row);
  }
  return out.subarray(0, row * h);
}
