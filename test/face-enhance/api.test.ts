/**
 * face_enhance through the real service (HTTP, SQLite, worker threads): bad values and requests
 * for an enhancer that is not installed are 400s at submit naming the field (with the install
 * command) and queue nothing; once an enhancer's files are placed, the same request runs (a
 * target_video's faces too).
 */
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import sharp from 'sharp';
import { FIXTURES, fixtureImage, getJson, postJson, startFileServer, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { makeTestModels } from '../support/make-test.js';
import { makeClip } from '../face-swap/video-support.js';

let svc: TestService;
let files: Awaited<ReturnType<typeof startFileServer>>;
let modelsDir = '';

beforeAll(async () => {
  modelsDir = mkdtempSync(join(tmpdir(), 'backserv-enhance-api-models-'));
  for (const id of ['realesrgan-x4plus', 'facemesh']) symlinkSync(join(inject('testModelsDir'), id), join(modelsDir, id), 'dir');
  svc = await startTestService({ BACKSERV_MODELS_DIR: modelsDir, BACKSERV_UPSCALE_TILE: '128' });
  files = await startFileServer(join(FIXTURES, 'images'));
});
afterAll(async () => {
  await svc?.close();
  await files?.close();
});

const swapParams = () => ({ source_image: `${files.url}/portrait_astronaut.jpg`, target_image: `${files.url}/group_apollo11.jpg` });
const upscaleParams = () => ({ image_url: `${files.url}/lowres_bryan.png` });

async function taskCount(): Promise<number> {
  const tasks = (await getJson(`${svc.url}/ready`)).body.tasks as Record<string, number>;
  return Object.values(tasks).reduce((a, b) => a + b, 0);
}

describe('face_enhance at the door', () => {
  it('bad values are 400 invalid_request naming task_params.face_enhance', async () => {
    for (const face_enhance of ['yes', 1, null, { blend: 2 }, { blend: -0.1 }, { fidelity: 1.5 }, { model: 'gfpgan-9' }, { strength: 1 },
      { model: 'gfpgan-1.4', fidelity: 0.5 }]) {
      for (const [type, params] of [['face_swap', swapParams()], ['image_upscale', upscaleParams()]] as const) {
        const { status, body } = await submit(svc.url, type, { ...params, face_enhance });
        expect(status, `${type} ${JSON.stringify(face_enhance)}`).toBe(400);
        expect(body.error).toBe('invalid_request');
        expect(body.message).toMatch(/task_params\.face_enhance/);
      }
    }
    expect(await taskCount()).toBe(0);
  });

  it('no enhancer installed: 400 naming the field with the install command; false is fine', async () => {
    for (const [type, params] of [['face_swap', swapParams()], ['image_upscale', upscaleParams()]] as const) {
      const any = await submit(svc.url, type, { ...params, face_enhance: true });
      expect(any.status).toBe(400);
      expect(any.body).toEqual({
        error: 'invalid_request',
        message: 'task_params.face_enhance: a face enhancer is not installed on this server. Install one with: npx backserv models download gfpgan-1.4',
      });
      const cf = await submit(svc.url, type, { ...params, face_enhance: { model: 'codeformer', fidelity: 0.7 } });
      expect(cf.status).toBe(400);
      expect(cf.body.message).toMatch(/the face enhancer "codeformer" is not installed.*npx backserv models download codeformer --accept-license/);
    }
    expect(await taskCount()).toBe(0);
    const off = await submit(svc.url, 'image_upscale', { ...upscaleParams(), face_enhance: false, scale_factor: 2 });
    expect(off.status).toBe(202);
    expect((await waitFor(svc.url, off.body.ticket_id as string)).status).toBe('Completed');
  });

  it('once GFPGAN is placed, /ready lists it and image_upscale with face_enhance runs; CodeFormer is still refused', async () => {
    await makeTestModels(modelsDir, ['gfpgan-1.4']);
    await new Promise((r) => setTimeout(r, 1100)); // the API's one-second availability cache
    const ready = (await getJson(`${svc.url}/ready`)).body.task_types as Record<string, { models: { id: string; installed: boolean }[] }>;
    expect(ready.image_upscale.models).toContainEqual({ id: 'gfpgan-1.4', installed: true });
    expect(ready.face_swap.models).toContainEqual({ id: 'codeformer', installed: false });
    const { status, body } = await submit(svc.url, 'image_upscale', { ...upscaleParams(), face_enhance: { blend: 0.8 } });
    expect(status).toBe(202);
    const done = await waitFor(svc.url, body.ticket_id as string);
    expect(done.status).toBe('Completed');
    expect(done.result).toMatchObject({ width: 460, height: 460, face_enhancer: 'gfpgan-1.4', faces_enhanced: 1 });
    const cf = await submit(svc.url, 'face_swap', { ...swapParams(), face_enhance: { model: 'codeformer' } });
    expect(cf.status).toBe(400);
  });

  it('face_swap on a target_video with face_enhance runs once GFPGAN is placed: Completed MP4 naming the enhancer', async () => {
    // Runs after the test above placed the GFPGAN test model; the mesh engine (FaceMesh + bundled YuNet) swaps.
    const clip = readFileSync(makeClip({ frames: 6, fps: 6, side: 128 }));
    const { status, body } = await submit(svc.url, 'face_swap', {
      source_image: `${files.url}/portrait_astronaut.jpg`, target_video: `data:video/mp4;base64,${clip.toString('base64')}`, face_enhance: { blend: 0.8 },
    });
    expect(status).toBe(202);
    const done = await waitFor(svc.url, body.ticket_id as string, undefined, 60_000);
    expect(done.status).toBe('Completed');
    expect(done.result).toMatchObject({ content_type: 'video/mp4', frames: 6, engine: 'mesh', face_enhancer: 'gfpgan-1.4' });
    expect(done.progress).toMatchObject({ step: 6, total: 6 });
  });

  it('A1111 extras: gfpgan_visibility runs face_enhance with GFPGAN; /face-restorers lists it, /upscalers does not', async () => {
    // Runs after the test above placed the GFPGAN test model.
    const restorers = await getJson(`${svc.url}/sdapi/v1/face-restorers`);
    expect(restorers.body).toEqual([{ name: 'GFPGAN', cmd_dir: null }]);
    const upscalers = (await getJson(`${svc.url}/sdapi/v1/upscalers`)).body as unknown as { name: string }[];
    // None, A1111's names for the installed upscaler, and its id; never an enhancer.
    const names = upscalers.map((u) => u.name);
    expect(names[0]).toBe('None');
    expect(names).toContain('realesrgan-x4plus');
    expect(names.filter((n) => /gfpgan|codeformer/i.test(n))).toEqual([]);
    const image = readFileSync(fixtureImage('lowres_bryan.png')).toString('base64');
    const extras = async (extra: Record<string, unknown>) => {
      const res = await postJson(`${svc.url}/sdapi/v1/extra-single-image`, { image, upscaling_resize: 4, ...extra });
      expect(res.status).toBe(200);
      const raw = await sharp(Buffer.from(res.body.image as string, 'base64')).raw().toBuffer();
      return { raw, info: res.body.html_info as string };
    };
    const plain = await extras({});
    const restored = await extras({ gfpgan_visibility: 1, codeformer_visibility: 0.5, codeformer_weight: 0.2 });
    expect(restored.info).toMatch(/codeformer_visibility: the face restorer codeformer is not installed here/);
    expect(restored.raw.length).toBe(plain.raw.length);
    let changed = 0;
    for (let i = 0; i < plain.raw.length; i++) changed += plain.raw[i] !== restored.raw[i] ? 1 : 0;
    expect(changed).toBeGreaterThan(0.1 * plain.raw.length); // the face fills much of this portrait
  });
});
