/**
 * face_swap through the real service (HTTP, SQLite, worker threads): bundled YuNet for detection,
 * the signature-exact ArcFace and inswapper test models for the rest.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTextChunks } from '../../src/imaging/png-text.js';
import { loadKernels } from '../../src/native/index.js';
import { applyAffine } from '../../src/pipelines/face-swap/affine.js';
import { alignmentMatrix } from '../../src/pipelines/face-swap/align.js';
import { detectFaces } from '../../src/pipelines/face-swap/detect.js';
import { FIXTURES, getJson, startFileServer, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { photo, yunet, yunetModelsDir } from './support.js';

let svc: TestService;
let files: Awaited<ReturnType<typeof startFileServer>>;

beforeAll(async () => {
  svc = await startTestService({ BACKSERV_MODELS_DIR: yunetModelsDir() });
  files = await startFileServer(join(FIXTURES, 'images'));
});
afterAll(async () => {
  await svc?.close();
  await files?.close();
});

describe('face_swap end to end', () => {
  it('is available with the bundled detector and the test swapper installed', async () => {
    const types = (await getJson(`${svc.url}/ready`)).body.task_types as Record<string, { available: boolean }>;
    expect(types.face_swap.available).toBe(true);
  });

  it('astronaut → group photo: Completed, all three faces changed, nothing changed outside the pasted crops', async () => {
    const { status, body } = await submit(svc.url, 'face_swap', {
      source_image: `${files.url}/portrait_astronaut.jpg`,
      target_image: `${files.url}/group_apollo11.jpg`,
    });
    expect(status).toBe(202);
    const done = await waitFor(svc.url, body.ticket_id as string);
    expect(done.status).toBe('Completed');
    expect(done.result).toMatchObject({ width: 600, height: 471, faces_swapped: 3, content_type: 'image/png' });
    expect(done.progress).toMatchObject({ step: 3, total: 3, percent: 100 });
    const res = await fetch(done.result_info as string);
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(readTextChunks(bytes)).toMatchObject({ 'backserv:model': 'inswapper-128', 'backserv:detector': 'yunet' });
    const out = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    const input = await photo('group_apollo11.jpg');
    expect(out.info).toMatchObject({ width: 600, height: 471, channels: 3 });

    // Where each face's 128 crop lands in the frame, from the same detection the service ran.
    const faces = await detectFaces(input, await yunet(), loadKernels());
    const crops = faces.map((f) => alignmentMatrix(f.landmarks, 128));
    const inCrop = (x: number, y: number) => crops.findIndex((m) => {
      const [cx, cy] = applyAffine(m, [x, y]);
      return cx > 0 && cx < 127 && cy > 0 && cy < 127;
    });
    const changedIn = [0, 0, 0];
    let changedOutside = 0;
    let unchangedOutside = 0;
    for (let y = 0; y < input.height; y++) {
      for (let x = 0; x < input.width; x++) {
        const p = (y * input.width + x) * 3;
        const changed = out.data[p] !== input.data[p] || out.data[p + 1] !== input.data[p + 1] || out.data[p + 2] !== input.data[p + 2];
        const k = inCrop(x, y);
        if (k < 0) {
          if (changed) changedOutside++;
          else unchangedOutside++;
        } else if (changed) changedIn[k]++;
      }
    }
    expect(changedOutside).toBe(0);
    expect(unchangedOutside).toBeGreaterThan(0.9 * input.width * input.height);
    // Each face: most of the pixels around its landmarks changed (the feathered core of its crop).
    for (let k = 0; k < 3; k++) {
      const [x1, y1, x2, y2] = faces[k].box;
      expect(changedIn[k]).toBeGreaterThan(0.5 * (x2 - x1) * (y2 - y1));
    }
  });

  it('rocket as source → Failed with "no face found in source_image"', async () => {
    const { body } = await submit(svc.url, 'face_swap', {
      source_image: `${files.url}/noface_rocket.jpg`,
      target_image: `${files.url}/group_apollo11.jpg`,
    });
    const done = await waitFor(svc.url, body.ticket_id as string);
    expect(done.status).toBe('Failed');
    expect(done.error_info).toBe('no face found in source_image');
    expect(done.result_info).toBeNull();
  });

  it('an unreadable target fails naming target_image', async () => {
    const { body } = await submit(svc.url, 'face_swap', {
      source_image: `${files.url}/portrait_astronaut.jpg`,
      target_image: `${files.url}/missing.png`,
    });
    const done = await waitFor(svc.url, body.ticket_id as string);
    expect(done.status).toBe('Failed');
    expect(done.error_info).toMatch(/target_image/);
  });
});
