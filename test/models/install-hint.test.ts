/**
 * What an operator sees when a model is missing: the 503 model_unavailable message and /ready name
 * the `npx backserv models …` command that installs it. Real service, empty models folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, submit } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';

let svc: TestService;
let base = '';
const empty = mkdtempSync(join(tmpdir(), 'backserv-no-models-'));

beforeAll(async () => {
  svc = await startTestService({ BACKSERV_MODELS_DIR: empty });
  base = svc.url;
});
afterAll(async () => {
  await svc?.close();
  rmSync(empty, { recursive: true, force: true });
});

describe('install hints', () => {
  it('503 model_unavailable names the download command (with --accept-license for a non-commercial model)', async () => {
    const r = await submit(base, 'image_creation', { prompt: 'a cat' });
    expect(r.status).toBe(503);
    expect(r.body.error).toBe('model_unavailable');
    expect(r.body.message).toMatch(/image_creation.*: npx backserv models download sd-turbo --accept-license$/);
  });

  it('503 for image_upscale names the offline convert command; /ready lists it too', async () => {
    const r = await submit(base, 'image_upscale', { image_url: 'data:image/png;base64,AA==' });
    expect(r.status).toBe(503);
    expect(r.body.error).toBe('model_unavailable');
    expect(r.body.message).toMatch(/image_upscale.*: npx backserv models convert realesrgan-x4fast$/);
    const ready = await getJson(`${base}/ready`);
    const types = ready.body.task_types as Record<string, { available: boolean; install: string | null }>;
    expect(types.image_upscale).toMatchObject({ available: false, install: 'npx backserv models convert realesrgan-x4fast' });
  });
});
