/**
 * Live previews without a model: latents → RGB through a fixed linear map per latent space (the
 * 4 × 3 "cheap approximation"), one pixel per latent pixel (≤ 192 px a side at 1536²). SD 1.x/2.x
 * and SDXL have different VAEs, so different maps: SDXL's latents through SD 1.x's factors come
 * out with wrong colours. All of it runs between two steps on the loop's thread (onnxruntime-node
 * runs the UNet on that thread too, so work deferred to it would cost the same): a typed-array map
 * written straight into the rows of a PNG with stored (uncompressed) deflate blocks
 * (imaging/stored-png.ts). Deflate proper gains little on a preview (the early ones are mostly
 * noise: −8 % at 5–10× the time) and sharp's pipeline set-up alone costs more than the whole
 * preview; preview-queue.ts keeps the write off the loop.
 * Written as `<ticket>.preview.png` next to the results (a serve node in scale-out reads the same folder).
 */
import { pngRowBytes, storedRgbPng } from '../../imaging/stored-png.js';
import { writeResultFile } from '../write-result.js';

/** A latent space's map: rgb_c = Σ_k latent_k · factors[k·3 + c] + bias_c, in about [−1, 1]. */
export interface LatentRgbMap {
  readonly factors: Float32Array;
  readonly bias: readonly [number, number, number];
}

/** SD 1.x/2.x: the widely used 4 × 3 approximation (rows: latent channels; columns: R, G, B). */
export const SD_LATENT_RGB: LatentRgbMap = {
  factors: Float32Array.of(
    0.298, 0.207, 0.208,
    0.187, 0.286, 0.173,
    -0.158, 0.189, 0.264,
    -0.184, -0.271, -0.473,
  ),
  bias: [0, 0, 0],
};

/**
 * SDXL: the published SDXL factors and bias (as in ComfyUI's comfy/latent_formats.py, class SDXL,
 * `latent_rgb_factors` / `latent_rgb_factors_bias`), applied like SD's to the loop's (scaled) latents.
 */
export const SDXL_LATENT_RGB: LatentRgbMap = {
  factors: Float32Array.of(
    0.3651, 0.4232, 0.4341,
    -0.2533, -0.0042, 0.1068,
    0.1076, 0.1111, -0.0362,
    -0.3165, -0.2492, -0.2188,
  ),
  bias: [0.1084, -0.0175, -0.0011],
};

export function latentRgbMap(sdxl: boolean): LatentRgbMap {
  return sdxl ? SDXL_LATENT_RGB : SD_LATENT_RGB;
}

export function previewFileName(ticketId: string): string {
  return `${ticketId}.preview.png`;
}

/**
 * Maps latents f32 [4, lh, lw] into `out`: row y's pixels from `first + y·stride`, R G B each.
 * (v + 1) / 2 of 255 is folded into the factors; a clamped array rounds (half to even) and clamps on store.
 */
function mapInto(latents: Float32Array, lw: number, lh: number, map: LatentRgbMap, out: Uint8ClampedArray, first: number, stride: number): void {
  const plane = lw * lh;
  if (latents.length < 4 * plane) throw new RangeError(`expected ${4 * plane} latents, got ${latents.length}`);
  const k = map.factors.map((f) => f * 127.5);
  const r0 = (map.bias[0] + 1) * 127.5;
  const g0 = (map.bias[1] + 1) * 127.5;
  const b0 = (map.bias[2] + 1) * 127.5;
  for (let y = 0, p = 0; y < lh; y++) {
    for (let x = 0, o = first + y * stride; x < lw; x++, p++, o += 3) {
      const l0 = latents[p];
      const l1 = latents[plane + p];
      const l2 = latents[2 * plane + p];
      const l3 = latents[3 * plane + p];
      out[o] = r0 + l0 * k[0] + l1 * k[3] + l2 * k[6] + l3 * k[9];
      out[o + 1] = g0 + l0 * k[1] + l1 * k[4] + l2 * k[7] + l3 * k[10];
      out[o + 2] = b0 + l0 * k[2] + l1 * k[5] + l2 * k[8] + l3 * k[11];
    }
  }
}

/** u8 RGB HWC of one image's latents f32 [4, lh, lw]. */
export function latentsToRgb(latents: Float32Array, lw: number, lh: number, map: LatentRgbMap = SD_LATENT_RGB): Uint8Array {
  const out = new Uint8ClampedArray(lw * lh * 3);
  mapInto(latents, lw, lh, map, out, 0, lw * 3);
  return new Uint8Array(out.buffer);
}

/** The preview PNG of one image's latents: mapped straight into the PNG's rows (filter byte 0 each), stored uncompressed. */
export function previewPng(latents: Float32Array, lw: number, lh: number, map: LatentRgbMap = SD_LATENT_RGB): Buffer {
  const rows = new Uint8ClampedArray(pngRowBytes(lw, lh));
  mapInto(latents, lw, lh, map, rows, 1, lw * 3 + 1);
  return storedRgbPng(new Uint8Array(rows.buffer), lw, lh);
}

/** Writes a preview PNG and returns its file name (relative to the results folder). */
export async function writePreviewFile(resultsDir: string, ticketId: string, png: Uint8Array): Promise<string> {
  const file = previewFileName(ticketId);
  await writeResultFile(resultsDir, file, png);
  return file;
}
