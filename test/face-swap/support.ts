/** Shared by the face-swap tests: fixture photos decoded as the service does, sessions, models. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { decodeImage } from '../../src/imaging/decode.js';
import { createRegistry } from '../../src/models/registry.js';
import type { Detector } from '../../src/pipelines/face-swap/detect.js';
import type { DecodedImage } from '../../src/pipelines/types.js';
import { SessionCache, chooseDevice } from '../../src/runtime/index.js';
import { fixtureImage } from '../helpers/http.js';

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
