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
