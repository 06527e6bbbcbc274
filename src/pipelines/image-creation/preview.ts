/**
 * Live previews without a model: SD latents → RGB through a fixed linear map (the 4 × 3 "cheap
 * approximation" widely used for SD 1.x/2.x previews), one pixel per latent pixel (≤ 128 px a
 * side at 1024²). Costs one pass over the latents and a tiny PNG; written as
 * `<ticket>.preview.png` next to the results (a serve node in scale-out reads the same folder).
 */
import { encodeSmallRgbPng } from '../../imaging/png-text.js';
import { writeResultFile } from '../write-result.js';

/** Rows: latent channels; columns: R, G, B contributions (output in about [−1, 1]). */
const LATENT_RGB: readonly (readonly [number, number, number])[] = [
  [0.298, 0.207, 0.208],
  [0.187, 0.286, 0.173],
  [-0.158, 0.189, 0.264],
  [-0.184, -0.271, -0.473],
];

export function previewFileName(ticketId: string): string {
  return `${ticketId}.preview.png`;
}

/** u8 RGB HWC of one image's latents f32 [4, lh, lw]. */
export function latentsToRgb(latents: Float32Array, lw: number, lh: number): Uint8Array {
  const plane = lw * lh;
  const out = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      let v = 0;
      for (let k = 0; k < 4; k++) v += latents[k * plane + p] * LATENT_RGB[k][c];
      const u = Math.round((v + 1) * 127.5);
      out[p * 3 + c] = u < 0 ? 0 : u > 255 ? 255 : u;
    }
  }
  return out;
}

/** The preview PNG of one image's latents, made on the calling thread (a fraction of a millisecond). */
export function previewPng(latents: Float32Array, lw: number, lh: number): Buffer {
  return encodeSmallRgbPng(latentsToRgb(latents, lw, lh), lw, lh);
}

/** Writes a preview PNG and returns its file name (relative to the results folder). */
export async function writePreviewFile(resultsDir: string, ticketId: string, png: Uint8Array): Promise<string> {
  const file = previewFileName(ticketId);
  await writeResultFile(resultsDir, file, png);
  return file;
}

/** previewPng then writePreviewFile. */
export async function writePreview(resultsDir: string, ticketId: string, latents: Float32Array, lw: number, lh: number): Promise<string> {
  return writePreviewFile(resultsDir, ticketId, previewPng(latents, lw, lh));
}
