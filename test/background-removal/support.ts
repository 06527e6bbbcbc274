/**
 * Shared by the background-removal tests: the real selfie-segmentation model (converted here
 * from the tfjs files in vendor/ by the project's converter, so the tests do not depend on the
 * install step), fixture photos decoded as the service does, the hand-drawn coarse masks, and
 * the edge metric.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage } from '../../src/imaging/decode.js';
import type { DecodedImage } from '../../src/imaging/decoded-image.js';
import { convertTfjsSource } from '../../src/models/convert/tfjs/index.js';
import { loadManifest } from '../../src/models/manifest.js';
import type { PipelineContext } from '../../src/pipelines/types.js';
import { SessionCache, chooseDevice } from '../../src/runtime/index.js';
import { fixtureImage } from '../helpers/http.js';
import { directContext } from '../helpers/pipeline-context.js';

export const sessions = new SessionCache({ device: chooseDevice('cpu'), intraOpThreads: 1 });

let realModels: string | undefined;

/** A models folder holding the real selfie-segmentation model. */
export function realModelsDir(): string {
  if (realModels) return realModels;
  const entry = loadManifest().models.find((m) => m.id === 'selfie-segmentation');
  const dir = mkdtempSync(join(tmpdir(), 'backserv-bgr-models-'));
  mkdirSync(join(dir, 'selfie-segmentation'));
  writeFileSync(join(dir, 'selfie-segmentation', 'model.onnx'), convertTfjsSource(entry?.convertFrom as string).onnx);
  realModels = dir;
  return dir;
}

export function photo(name: string): Promise<DecodedImage> {
  return decodeImage(readFileSync(fixtureImage(name)), { maxPixels: 50_000_000, field: 'image' });
}

export function pipelineContext(modelsDir: string, over: Partial<PipelineContext> = {}): PipelineContext {
  return directContext({ tag: 'bgr', modelsDir, sessions, loadImage: (ref) => photo(ref) }, over);
}

/** The hand-drawn 16×16 mask scaled (nearest) to w×h: 255 person, 0 background, 128 unknown. */
export async function coarseMask(photoName: string, w: number, h: number): Promise<Uint8Array> {
  const file = join(import.meta.dirname, 'masks', photoName.replace(/\.\w+$/, '.png'));
  return new Uint8Array(await sharp(file).resize(w, h, { kernel: 'nearest' }).extractChannel(0).raw().toBuffer());
}

/** Mean of `values` where the coarse mask is `label`, and the share of them above 0.5. */
export function regionStats(values: ArrayLike<number>, coarse: Uint8Array, label: number): { mean: number; above: number } {
  let sum = 0;
  let above = 0;
  let n = 0;
  for (let i = 0; i < coarse.length; i++) {
    if (coarse[i] !== label) continue;
    sum += values[i];
    if (values[i] > 0.5) above++;
    n++;
  }
  return { mean: sum / n, above: above / n };
}

/**
 * Edge alignment in the unknown band: the cosine between the gradient magnitudes of the matte
 * and of the picture's luminance. 1 when the matte changes exactly where the picture does; a
 * smooth ramp across the band (plain upsampling) scores lower.
 */
export function edgeAlignment(alpha: ArrayLike<number>, luma: ArrayLike<number>, coarse: Uint8Array, w: number, h: number): number {
  let dot = 0;
  let na = 0;
  let nl = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      if (coarse[i] !== 128) continue;
      const ga = Math.hypot(alpha[i + 1] - alpha[i - 1], alpha[i + w] - alpha[i - w]);
      const gl = Math.hypot(luma[i + 1] - luma[i - 1], luma[i + w] - luma[i - w]);
      dot += ga * gl;
      na += ga * ga;
      nl += gl * gl;
    }
  }
  return dot / Math.sqrt(na * nl);
}

/** A result PNG decoded: pixels and channel count as written. */
export async function readResult(dir: string, file: string): Promise<{ data: Uint8Array; width: number; height: number; channels: number }> {
  const path = join(dir, file);
  // sharp decodes a greyscale PNG to RGB: take one channel back out when the file has one.
  const { channels } = await sharp(path).metadata();
  const img = channels === 1 ? sharp(path).extractChannel(0) : sharp(path);
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: channels === 1 ? 1 : info.channels };
}
