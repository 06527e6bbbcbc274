/**
 * Runs once per `vitest run`: generates the signature-exact test models into a temp folder
 * that every test file reads through `inject('testModelsDir')`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { makeTestModels } from './support/make-test.js';

declare module 'vitest' {
  export interface ProvidedContext {
    testModelsDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'backserv-test-models-'));
  // facemesh is the real model (converted from its npm package), not a random-weight stand-in.
  await makeTestModels(dir, ['realesrgan-x4plus', 'sd-turbo', 'arcface-w600k-r50', 'inswapper-128', 'scrfd-10g', 'selfie-segmentation', 'facemesh']);
  project.provide('testModelsDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
