/** Shared by the image_creation tests: SD test model folders (all variants) and a pipeline context. */
import { cpSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { makeTestModels } from '../support/make-test.js';
import { convertModelToFp16 } from '../../src/models/convert/precision/to-fp16.js';
import { loadKernels } from '../../src/native/index.js';
import type { PipelineContext } from '../../src/pipelines/types.js';
import { SessionCache, chooseDevice } from '../../src/runtime/index.js';
import { directContext } from '../helpers/pipeline-context.js';
import { makeVariant } from './model-variants.js';

export const sessions = new SessionCache({ device: chooseDevice('cpu'), intraOpThreads: 1 }, 32);
export const kernels = loadKernels();

/**
 * A models folder with the three SD test models (sd-turbo from the global setup; sd15 and LCM
 * generated here) and, as separate folders named after sd-turbo/sd15 so the registry resolves
 * them, fp16 and Optimum-style rewrites.
 */
export interface SdFolders {
  main: string;
  fp16: string;
  optimum: string;
  /** sd15 with its UNet's batch fixed to 1, in fp32 and in the fp16-I/O variant. */
  batch1: string;
  batch1fp16: string;
  /** sd-turbo through `convertModelToFp16` (what `backserv models convert ID --fp16` uses), fp16 I/O. */
  converted16: string;
}

export async function sdFolders(): Promise<SdFolders> {
  const main = mkdtempSync(join(tmpdir(), 'backserv-sd-models-'));
  symlinkSync(join(inject('testModelsDir'), 'sd-turbo'), join(main, 'sd-turbo'), 'dir');
  await makeTestModels(main, ['sd15', 'lcm-dreamshaper-v7']);
  const fp16 = mkdtempSync(join(tmpdir(), 'backserv-sd-fp16-'));
  const optimum = mkdtempSync(join(tmpdir(), 'backserv-sd-optimum-'));
  for (const id of ['sd-turbo', 'sd15']) {
    makeVariant(join(main, id), join(fp16, id), 'fp16');
    makeVariant(join(main, id), join(optimum, id), 'optimum');
  }
  const batch1 = mkdtempSync(join(tmpdir(), 'backserv-sd-batch1-'));
  makeVariant(join(main, 'sd15'), join(batch1, 'sd15'), 'batch1');
  const batch1fp16 = mkdtempSync(join(tmpdir(), 'backserv-sd-batch1-fp16-'));
  makeVariant(join(fp16, 'sd15'), join(batch1fp16, 'sd15'), 'batch1');
  const converted16 = mkdtempSync(join(tmpdir(), 'backserv-sd-converted16-'));
  cpSync(join(main, 'sd-turbo'), join(converted16, 'sd-turbo'), { recursive: true, dereference: true });
  for (const component of ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder']) {
    convertModelToFp16(join(main, 'sd-turbo', component, 'model.onnx'), join(converted16, 'sd-turbo', component, 'model.onnx'));
  }
  return { main, fp16, optimum, batch1, batch1fp16, converted16 };
}

export function pipelineContext(modelsDir: string, over: Partial<PipelineContext> = {}): PipelineContext {
  return directContext({ tag: 'sd', modelsDir, sessions }, over);
}
