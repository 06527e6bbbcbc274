/** Shared by the face-swap tests: fixture photos decoded as the service does, sessions, models. */
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { decodeImage } from '../../src/imaging/decode.js';
import { createRegistry } from '../../src/models/registry.js';
import type { Detector } from '../../src/pipelines/face-swap/detect.js';
import type { PipelineContext } from '../../src/pipelines/types.js';
import type { DecodedImage } from '../../src/imaging/decoded-image.js';
import { SessionCache, chooseDevice } from '../../src/runtime/index.js';
import { fixtureImage } from '../helpers/http.js';
import { directContext } from '../helpers/pipeline-context.js';

export const sessions = new SessionCache({ device: chooseDevice('cpu'), intraOpThreads: 1 });

export function photo(name: string): Promise<DecodedImage> {
  return decodeImage(readFileSync(fixtureImage(name)), { maxPixels: 50_000_000, field: 'image' });
}

export function modelPath(id: string): string {
  const found = createRegistry(inject('testModelsDir')).resolveId(id);
  if (!found) throw new Error(`model ${id} is not installed for the tests`);
  return join(found.dir, 'model.onnx');
}

export async function yunet(): Promise<Detector> {
  return { kind: 'yunet', session: await sessions.get(modelPath('yunet')) };
}

/**
 * A models folder holding the test ArcFace and inswapper and the real FaceMesh but not the
 * (random-weight) test SCRFD, so the detector role falls back to the bundled YuNet: real
 * detection and landmarks, test swapper.
 */
export function yunetModelsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'backserv-face-models-'));
  for (const id of ['arcface-w600k-r50', 'inswapper-128', 'facemesh']) symlinkSync(join(inject('testModelsDir'), id), join(dir, id), 'dir');
  return dir;
}

/** A pipeline context as the worker builds one, with images read from the fixtures folder. */
export function pipelineContext(modelsDir: string, over: Partial<PipelineContext> = {}): PipelineContext {
  return directContext({ tag: 'face', modelsDir, sessions, loadImage: (ref) => photo(ref) }, over);
}
