/**
 * The model's own default size is reachable: a copy of the sd-turbo test model whose
 * unet/config.json declares sample_size [40, 48] (latents; × 8 = 320 high, 384 wide) gives a
 * 384×320 image to a request without width/height, through the real service (HTTP, worker thread)
 * and through the video pipeline; explicit sizes still win. Before, the API filled in 512 at the
 * door and this default could never apply.
 */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { nativeSize, readSdModelInfo } from '../../src/pipelines/image-creation/model-info.js';
import { runVideoCreation } from '../../src/pipelines/video-creation/index.js';
import { submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { probeVideo } from '../../src/video/probe.js';
import { ffmpegPath, sessions as videoSessions } from '../video-creation/support.js';
import { directContext } from '../helpers/pipeline-context.js';

/** A models folder holding sd-turbo (the test model) with extra config files written into it. */
function sdTurboWith(files: Record<string, unknown>): string {
  const models = mkdtempSync(join(tmpdir(), 'backserv-native-size-'));
  const dir = join(models, 'sd-turbo');
  cpSync(join(inject('testModelsDir'), 'sd-turbo'), dir, { recursive: true, dereference: true });
  for (const [path, json] of Object.entries(files)) writeFileSync(join(dir, path), JSON.stringify(json));
  return models;
}

describe('reading the trained size from a model folder', () => {
  it('sample_size × the VAE downscale; [height, width] pairs; absent, odd or out-of-range sizes are not used', () => {
    const at = (files: Record<string, unknown>) => nativeSize(join(sdTurboWith(files), 'sd-turbo'));
    expect(at({})).toBeNull(); // the test model ships no unet/config.json: the table's 512 applies
    expect(at({ 'unet/config.json': { sample_size: 96 } })).toEqual({ width: 768, height: 768 });
    expect(at({ 'unet/config.json': { sample_size: [40, 48] } })).toEqual({ width: 384, height: 320 });
    // Three VAE blocks downscale by 4, not 8.
    expect(at({ 'unet/config.json': { sample_size: 64 }, 'vae_decoder/config.json': { block_out_channels: [128, 256, 512] } })).toEqual({ width: 256, height: 256 });
    expect(at({ 'unet/config.json': { sample_size: 256 } })).toBeNull(); // 2048 px: beyond what a request may ask
    expect(at({ 'unet/config.json': { sample_size: 'big' } })).toBeNull();
    const info = readSdModelInfo('sd-turbo', join(sdTurboWith({ 'unet/config.json': { sample_size: 48 } }), 'sd-turbo'));
    expect(info).toMatchObject({ id: 'sd-turbo', schedulerClass: 'EulerDiscreteScheduler', nativeSize: { width: 384, height: 384 } });
  });

  it('a broken config is the model\'s fault (model_incompatible), not a silent default', () => {
    const models = sdTurboWith({});
    writeFileSync(join(models, 'sd-turbo', 'unet', 'config.json'), '{ not json');
    const err = (() => {
      try {
        nativeSize(join(models, 'sd-turbo'));
      } catch (e) {
        return e as { code?: string; message: string };
      }
      return null;
    })();
    expect(err).toMatchObject({ code: 'model_incompatible' });
    expect(err?.message).toMatch(/sd-turbo\/unet\/config\.json is not valid JSON/);
    expect(err?.message).not.toContain(models); // no server path
  });
});

describe('a request without width/height gets the model\'s size (real service)', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ BACKSERV_MODELS_DIR: sdTurboWith({ 'unet/config.json': { sample_size: [40, 48] } }) });
  });
  afterAll(async () => svc?.close());

  async function png(params: Record<string, unknown>) {
    const sub = await submit(svc.url, 'image_creation', params);
    expect(sub.status).toBe(202);
    const done = await waitFor(svc.url, sub.body.ticket_id as string);
    expect(done.status).toBe('Completed');
    const meta = await sharp(Buffer.from(await (await fetch(done.result_info as string)).arrayBuffer())).metadata();
    return { result: done.result as Record<string, unknown>, width: meta.width, height: meta.height };
  }

  it('none given: 384×320, the size the model declares', async () => {
    const r = await png({ prompt: 'a harbour at night', seed: 4 });
    expect([r.width, r.height]).toEqual([384, 320]);
    expect(r.result).toMatchObject({ width: 384, height: 320, steps: 1, scheduler: 'euler' });
  });

  it('explicit values win, one side at a time: width 512 → 512×320; height 64 → 384×64', async () => {
    expect(await png({ prompt: 'x', seed: 4, width: 512 })).toMatchObject({ width: 512, height: 320 });
    expect(await png({ prompt: 'x', seed: 4, height: 64 })).toMatchObject({ width: 384, height: 64 });
  });
});

describe('video_creation uses the model size too', () => {
  it('no width/height: a 384×320 MP4', async () => {
    const modelsDir = sdTurboWith({ 'unet/config.json': { sample_size: [40, 48] } });
    const ctx = directContext({ tag: 'video-size', modelsDir, sessions: videoSessions });
    const result = await runVideoCreation({ prompt: 'a kite', duration: 1, fps: 2, seed: 3 }, ctx);
    expect(result).toMatchObject({ width: 384, height: 320, frames: 2 });
    expect(await probeVideo(ffmpegPath, join(ctx.resultsDir, result.file))).toMatchObject({ width: 384, height: 320 });
  });
});
