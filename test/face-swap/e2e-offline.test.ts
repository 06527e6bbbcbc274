/**
 * face_swap offline through the real service (HTTP, SQLite, worker threads) with only what an
 * offline install has: the bundled YuNet and FaceMesh (converted from npm). No inswapper, no
 * ArcFace: `auto` runs the mesh engine; asking for inswapper fails saying what to do.
 */
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readTextChunks } from '../../src/imaging/png-text.js';
import { loadKernels } from '../../src/native/index.js';
import { detectFaces } from '../../src/pipelines/face-swap/detect.js';
import { FIXTURES, getJson, startFileServer, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { photo, yunet } from './support.js';

let svc: TestService;
let files: Awaited<ReturnType<typeof startFileServer>>;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'backserv-offline-models-'));
  symlinkSync(join(inject('testModelsDir'), 'facemesh'), join(dir, 'facemesh'), 'dir');
  svc = await startTestService({ BACKSERV_MODELS_DIR: dir });
  files = await startFileServer(join(FIXTURES, 'images'));
});
afterAll(async () => {
  await svc?.close();
  await files?.close();
});

describe('face_swap offline (mesh engine)', () => {
  it('/ready: face_swap is available with only the detector and FaceMesh', async () => {
    const types = (await getJson(`${svc.url}/ready`)).body.task_types as Record<string, { available: boolean }>;
    expect(types.face_swap.available).toBe(true);
  });

  it('astronaut → the middle face of the group photo with a regions mask: Completed, only that face changed', async () => {
    const { status, body } = await submit(svc.url, 'face_swap', {
      source_image: `${files.url}/portrait_astronaut.jpg`,
      target_image: `${files.url}/group_apollo11.jpg`,
      target_faces: [1],
      mask_regions: ['skin', 'nose', 'mouth'], // face_mask "regions" implied
      mask_blur: 0.5,
    });
    expect(status).toBe(202);
    const done = await waitFor(svc.url, body.ticket_id as string);
    expect(done.status).toBe('Completed');
    expect(done.result).toMatchObject({ engine: 'mesh', model: 'facemesh', face_mask: 'regions', faces_swapped: 1, faces_in_target: 3 });
    const bytes = Buffer.from(await (await fetch(done.result_info as string)).arrayBuffer());
    expect(readTextChunks(bytes)).toMatchObject({ 'backserv:engine': 'mesh', 'backserv:detector': 'yunet' });
    const out = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    const input = await photo('group_apollo11.jpg');
    const faces = await detectFaces(input, await yunet(), loadKernels());
    const changed = [0, 0, 0];
    let elsewhere = 0;
    for (let y = 0; y < input.height; y++) {
      for (let x = 0; x < input.width; x++) {
        const p = (y * input.width + x) * 3;
        if (out.data[p] === input.data[p] && out.data[p + 1] === input.data[p + 1] && out.data[p + 2] === input.data[p + 2]) continue;
        const k = faces.findIndex((f) => x >= f.box[0] && x < f.box[2] && y >= f.box[1] && y < f.box[3]);
        if (k >= 0) changed[k]++;
        else elsewhere++;
      }
    }
    expect(changed[0]).toBe(0);
    expect(changed[2]).toBe(0);
    const [x1, y1, x2, y2] = faces[1].box;
    expect(changed[1]).toBeGreaterThan(0.3 * (x2 - x1) * (y2 - y1));
    expect(elsewhere).toBeLessThan(0.2 * (x2 - x1) * (y2 - y1)); // the forehead above the box, nothing more
  });

  it('engine "inswapper" without its models: Failed with model_unavailable saying to use the mesh engine', async () => {
    const { body } = await submit(svc.url, 'face_swap', {
      source_image: `${files.url}/portrait_astronaut.jpg`,
      target_image: `${files.url}/group_apollo11.jpg`,
      engine: 'inswapper',
    });
    const done = await waitFor(svc.url, body.ticket_id as string);
    expect(done.status).toBe('Failed');
    expect(done.error_info).toMatch(/engine "inswapper" needs the inswapper and ArcFace models.*use engine "mesh"/);
  });

  it('bad selections are a 400 at submit and queue nothing', async () => {
    for (const params of [
      { target_faces: [0], target_face_index: 0 },
      { target_faces: 'middle' },
      { face_mask: 'oval', mask_regions: ['eyes'] },
      { target_faces: [] },
      { face_mask: 'regions', mask_regions: ['ears'] },
      { mask_blur: 2 },
      { reference_image: 'ftp://example.com/ref.png' },
      { keep_target_regions: ['nose'] },
      { keep_target_regions: 'sometimes' },
      { keep_target_regions: [] },
    ]) {
      const { status, body } = await submit(svc.url, 'face_swap', {
        source_image: `${files.url}/portrait_astronaut.jpg`, target_image: `${files.url}/group_apollo11.jpg`, ...params,
      });
      expect(status, JSON.stringify(params)).toBe(400);
      expect(body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    }
  });
});
