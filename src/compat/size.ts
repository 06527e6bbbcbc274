/**
 * Fitting a requested image size to what image_creation accepts (the submit schema's bounds:
 * sides 64–1024 in multiples of 8): scaled down with the aspect ratio kept, then each side
 * rounded to the nearest multiple of 8. Clients of A1111 and OpenAI ask for sizes our models
 * do not take (1792×1024, 1000×1000); the answer reports what was made.
 */
import { IMAGE_SIZE } from '../pipelines/image-creation/params.js';

export interface Fitted {
  width: number;
  height: number;
  changed: boolean;
}

/** `max`: the longest side allowed (default: SD 1.x/2.x's; SDXL models and a hires first pass pass their own). */
export function fitSize(width: number, height: number, max: number = IMAGE_SIZE.max): Fitted {
  const { min, multipleOf } = IMAGE_SIZE;
  const scale = Math.min(1, max / Math.max(width, height));
  const side = (v: number) => Math.min(max, Math.max(min, Math.round((v * scale) / multipleOf) * multipleOf));
  const w = side(width);
  const h = side(height);
  return { width: w, height: h, changed: w !== width || h !== height };
}
