/**
 * Real detection on real photos with the bundled YuNet: face counts, boxes and landmarks in
 * plausible places, orientation and alpha handling, and alignment that lands the detected
 * eyes on the ArcFace template (checked by detecting again inside the aligned crop).
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/imaging/decode.js';
import { loadKernels } from '../../src/native/index.js';
import { applyAffine } from '../../src/pipelines/face-swap/affine.js';
import { alignCrop, alignmentMatrix } from '../../src/pipelines/face-swap/align.js';
import { detectFaces } from '../../src/pipelines/face-swap/detect.js';
import { templateFor } from '../../src/pipelines/face-swap/template.js';
import type { Face } from '../../src/pipelines/face-swap/types.js';
import { fixtureImage } from '../helpers/http.js';
import { photo, yunet } from './support.js';

const kernels = loadKernels();

function expectPlausible(f: Face, img: { width: number; height: number }) {
  const [x1, y1, x2, y2] = f.box;
  expect(x1).toBeGreaterThanOrEqual(0);
  expect(y1).toBeGreaterThanOrEqual(0);
  expect(x2).toBeLessThanOrEqual(img.width);
  expect(y2).toBeLessThanOrEqual(img.height);
  expect(x2 - x1).toBeGreaterThan(10);
  // Faces are taller than wide, but not absurdly so.
  expect((y2 - y1) / (x2 - x1)).toBeGreaterThan(0.9);
  expect((y2 - y1) / (x2 - x1)).toBeLessThan(2);
  expect(f.score).toBeGreaterThanOrEqual(0.9);
  for (const [x, y] of f.landmarks) {
    expect(x).toBeGreaterThan(x1);
    expect(x).toBeLessThan(x2);
    expect(y).toBeGreaterThan(y1);
    expect(y).toBeLessThan(y2);
  }
  const [le, re, nose, lm, rm] = f.landmarks;
  // Eyes above the nose above the mouth; left features left of right ones.
  expect(Math.max(le[1], re[1])).toBeLessThan(nose[1]);
  expect(nose[1]).toBeLessThan(Math.min(lm[1], rm[1]));
  expect(le[0]).toBeLessThan(re[0]);
  expect(lm[0]).toBeLessThan(rm[0]);
  expect(nose[0]).toBeGreaterThan(le[0]);
  expect(nose[0]).toBeLessThan(re[0]);
}

describe('YuNet on the fixture photos', () => {
  it('finds the one face in the astronaut portrait, in the upper middle of the picture', async () => {
    const img = await photo('portrait_astronaut.jpg');
    const faces = await detectFaces(img, await yunet(), kernels);
    expect(faces).toHaveLength(1);
    expectPlausible(faces[0], img);
    const [x1, y1, x2, y2] = faces[0].box;
    expect((x1 + x2) / 2).toBeGreaterThan(180);
    expect((x1 + x2) / 2).toBeLessThan(280);
    expect((y1 + y2) / 2).toBeLessThan(200);
  });

  it('finds the three faces in the group photo, ordered left to right, ~50–70 px each', async () => {
    const img = await photo('group_apollo11.jpg');
    const faces = await detectFaces(img, await yunet(), kernels);
    expect(faces).toHaveLength(3);
    for (const f of faces) {
      expectPlausible(f, img);
      expect(f.box[2] - f.box[0]).toBeGreaterThan(35);
      expect(f.box[3] - f.box[1]).toBeLessThan(90);
    }
    const centres = faces.map((f) => (f.box[0] + f.box[2]) / 2);
    expect(centres[0]).toBeLessThan(centres[1]);
    expect(centres[1]).toBeLessThan(centres[2]);
  });

  it('finds no face in the rocket', async () => {
    expect(await detectFaces(await photo('noface_rocket.jpg'), await yunet(), kernels)).toEqual([]);
  });

  it('finds the small face in the 115 px RGBA portrait', async () => {
    const img = await photo('lowres_bryan.png');
    expect(img.channels).toBe(4);
    const faces = await detectFaces(img, await yunet(), kernels);
    expect(faces).toHaveLength(1);
    expectPlausible(faces[0], img);
  });

  it('reports the same face in source pixels for a grey, EXIF-rotated and a 4× larger copy', async () => {
    const det = await yunet();
    const [ref] = await detectFaces(await photo('portrait_astronaut.jpg'), det, kernels);
    const src = sharp(fixtureImage('portrait_astronaut.jpg'));
    // Grey JPEG: decodeImage turns it into RGB.
    const grey = await decodeImage(await src.clone().greyscale().jpeg().toBuffer(), { maxPixels: 1e8, field: 'image' });
    const [g] = await detectFaces(grey, det, kernels);
    expect(Math.abs(g.box[0] - ref.box[0])).toBeLessThan(8);
    // Stored rotated 90° clockwise with EXIF orientation 8 (rotate 90° anticlockwise to view): upright after decode.
    const rotated = await src.clone().rotate(90).withMetadata({ orientation: 8 }).jpeg().toBuffer();
    const upright = await decodeImage(rotated, { maxPixels: 1e8, field: 'image' });
    const [u] = await detectFaces(upright, det, kernels);
    expect(Math.abs(u.landmarks[0][0] - ref.landmarks[0][0])).toBeLessThan(4);
    expect(Math.abs(u.landmarks[0][1] - ref.landmarks[0][1])).toBeLessThan(4);
    const big = await decodeImage(await src.clone().resize(2048, 2048).png().toBuffer(), { maxPixels: 1e8, field: 'image' });
    const [b] = await detectFaces(big, det, kernels);
    b.landmarks.forEach(([x, y], k) => {
      expect(Math.abs(x / 4 - ref.landmarks[k][0])).toBeLessThan(2);
      expect(Math.abs(y / 4 - ref.landmarks[k][1])).toBeLessThan(2);
    });
  });
});

describe('alignment of a real face', () => {
  it('maps the astronaut\'s detected eyes within 2 px of the 112 template', async () => {
    const img = await photo('portrait_astronaut.jpg');
    const [face] = await detectFaces(img, await yunet(), kernels);
    const m = alignmentMatrix(face.landmarks, 112);
    const t = templateFor(112);
    for (const k of [0, 1]) {
      const [x, y] = applyAffine(m, face.landmarks[k]);
      expect(Math.hypot(x - t[k][0], y - t[k][1])).toBeLessThan(2);
    }
  });

  it('the warped 112 crop shows each landmark where M sends it (blobs painted at the detected points)', async () => {
    const img = await photo('portrait_astronaut.jpg');
    const [face] = await detectFaces(img, await yunet(), kernels);
    // A black frame of the photo's size with a Gaussian blob (σ = 2 px) centred on each landmark,
    // one landmark per colour channel where possible, so each can be located in the crop.
    const paint = (k: number) => {
      const data = new Uint8Array(img.width * img.height * 3);
      const [cx, cy] = face.landmarks[k];
      for (let y = Math.floor(cy) - 8; y <= cy + 8; y++) {
        for (let x = Math.floor(cx) - 8; x <= cx + 8; x++) {
          data[(y * img.width + x) * 3] = Math.round(250 * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 8));
        }
      }
      return { data, width: img.width, height: img.height, channels: 3 as const, hasAlpha: false };
    };
    const m = alignmentMatrix(face.landmarks, 112);
    const t = templateFor(112);
    for (let k = 0; k < 5; k++) {
      const crop = alignCrop(paint(k), face.landmarks, 112, kernels, { mean: [0, 0, 0], std: [1, 1, 1] });
      let sw = 0, sx = 0, sy = 0;
      for (let y = 0; y < 112; y++) {
        for (let x = 0; x < 112; x++) {
          const v = crop.tensor[y * 112 + x];
          sw += v; sx += v * x; sy += v * y;
        }
      }
      const [ex, ey] = applyAffine(m, face.landmarks[k]);
      // The blob's centroid in the crop is where M puts the landmark (the warp direction and
      // pixel-centre convention are right) ...
      expect(Math.hypot(sx / sw - ex, sy / sw - ey)).toBeLessThan(0.1);
      // ... and for the eyes that is within 2 px of the template.
      if (k < 2) expect(Math.hypot(sx / sw - t[k][0], sy / sw - t[k][1])).toBeLessThan(2);
    }
  });
});
