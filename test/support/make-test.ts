/**
 * Writes small deterministic ONNX models with the real models' signatures into the real folder
 * layouts, so pipelines and the registry can be exercised offline in seconds. Each folder gets a
 * `.test-model` marker listing its files; the registry treats such a folder as installed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { buildRealEsrganTest } from './test-models/realesrgan.js';
import { buildSdTest } from './test-models/sd.js';
import { buildSdxlTest } from './test-models/sdxl.js';
import { buildArcFaceTest, buildInswapperTest, buildScrfdTest } from './test-models/face.js';
import { buildBirefnetTest, buildU2netTest } from './test-models/segmenters.js';
import { buildCodeformerTest, buildGfpganTest } from './test-models/face-enhance.js';
import { buildSelfieTest } from './test-models/selfie.js';
import { TEST_MODEL_MARKER } from '../../src/models/registry.js';
import { convertTfjsSource } from '../../src/models/convert/tfjs/index.js';

/** One generated file: its path relative to the model folder and its bytes. */
export interface GeneratedFile {
  path: string;
  data: Uint8Array | string;
}

type Builder = () => GeneratedFile[] | Promise<GeneratedFile[]>;

const single = (build: () => Uint8Array): Builder => () => [{ path: 'model.onnx', data: build() }];

const BUILDERS: Record<string, Builder> = {
  'realesrgan-x4plus': single(buildRealEsrganTest),
  'realesrgan-x4fast': single(buildRealEsrganTest),
  'sd-turbo': () => buildSdTest('sd-turbo'),
  sd15: () => buildSdTest('sd15'),
  'lcm-dreamshaper-v7': () => buildSdTest('lcm-dreamshaper-v7'),
  'sdxl-base': () => buildSdxlTest('sdxl-base'),
  'sdxl-turbo': () => buildSdxlTest('sdxl-turbo'),
  'arcface-w600k-r50': single(buildArcFaceTest),
  'inswapper-128': single(buildInswapperTest),
  'scrfd-10g': single(buildScrfdTest),
  'selfie-segmentation': single(buildSelfieTest),
  u2net: single(buildU2netTest),
  'birefnet-general': single(buildBirefnetTest),
  'gfpgan-1.4': single(buildGfpganTest),
  codeformer: single(buildCodeformerTest),
  // The real FaceMesh: converted from the npm dependency in ~0.3 s, so tests get real landmarks.
  facemesh: single(() => convertTfjsSource('tfjs:facemesh').onnx),
};

export const TEST_MODEL_IDS: readonly string[] = Object.keys(BUILDERS);

/** The default set: one model per role (the x4fast/sd15/LCM/SDXL variants are written on request). */
export const DEFAULT_TEST_MODELS: readonly string[] = ['realesrgan-x4plus', 'sd-turbo', 'arcface-w600k-r50', 'inswapper-128', 'scrfd-10g', 'selfie-segmentation', 'facemesh'];

export async function makeTestModels(outDir: string, which: readonly string[] = DEFAULT_TEST_MODELS): Promise<void> {
  for (const id of which) {
    const build = BUILDERS[id];
    if (!build) throw new Error(`make-test: no test model for "${id}" (known: ${TEST_MODEL_IDS.join(', ')})`);
    const files = await build();
    const dir = join(outDir, id);
    for (const f of files) {
      const target = join(dir, f.path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, f.data);
    }
    const marker = { id, generator: 'backserv make-test', files: files.map((f) => f.path) };
    await writeFile(join(dir, TEST_MODEL_MARKER), JSON.stringify(marker, null, 2) + '\n');
  }
}
