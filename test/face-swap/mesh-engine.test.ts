/**
 * The offline face_swap engine and the FaceMesh pieces it rests on, with the real YuNet and the
 * real FaceMesh on the fixture photos: landmarks land on the faces, masks cover the face and
 * nothing outside it, the mesh swap changes the target faces and no pixel far from them and moves
 * their identity towards the source's, faces are picked by target_faces / reference_image, and
 * the pose guard refuses a source turned away.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/imaging/decode.js';
import type { DecodedImage } from '../../src/imaging/decoded-image.js';
import { loadKernels } from '../../src/native/index.js';
import { detectFaces } from '../../src/pipelines/face-swap/detect.js';
import { runFaceSwap } from '../../src/pipelines/face-swap/index.js';
import { faceMesh } from '../../src/pipelines/face-swap/landmarks.js';
import { featherSpec, meshFaceSize, rasterRegions, cropRegionMask } from '../../src/pipelines/face-swap/mask.js';
import { alignmentMatrix } from '../../src/pipelines/face-swap/align.js';
import type { Face } from '../../src/pipelines/face-swap/types.js';
import type { Session } from '../../src/runtime/index.js';
import { checkPose, MAX_YAW_DIFFERENCE, yawDegrees } from '../../src/pipelines/face-swap/pose.js';
import { chiSquare, lbpDescriptor } from './lbp.js';
import { modelPath, photo, pipelineContext, sessions, yunet } from './support.js';

const kernels = loadKernels();
let mesh: Session;
let group: DecodedImage;
let groupFaces: Face[];
/** Only the detector and FaceMesh: the mesh engine is what `auto` picks. */
let meshOnlyDir: string;

beforeAll(async () => {
  mesh = await sessions.get(modelPath('facemesh'));
  group = await photo('group_apollo11.jpg');
  groupFaces = await detectFaces(group, await yunet(), kernels);
  const { symlinkSync } = await import('node:fs');
  const { inject } = await import('vitest');
  meshOnlyDir = mkdtempSync(join(tmpdir(), 'backserv-mesh-models-'));
  symlinkSync(join(inject('testModelsDir'), 'facemesh'), join(meshOnlyDir, 'facemesh'), 'dir');
});

const inBox = (b: Face['box'], x: number, y: number, grow = 0) => {
  const gw = (b[2] - b[0]) * grow, gh = (b[3] - b[1]) * grow;
  return x >= b[0] - gw && x < b[2] + gw && y >= b[1] - gh && y < b[3] + gh;
};

describe('FaceMesh landmarks', () => {
  it('land on each detected face: nose tip, eyes and mouth near the detector\'s own 5 points', async () => {
    expect(groupFaces).toHaveLength(3);
    for (const f of groupFaces) {
      const { points, faceflag } = await faceMesh(mesh, group, f, kernels);
      expect(faceflag).toBeGreaterThan(0.9);
      const at = (i: number) => [points[3 * i], points[3 * i + 1]];
      const near = (i: number, p: readonly [number, number]) => Math.hypot(at(i)[0] - p[0], at(i)[1] - p[1]);
      const eyeDist = Math.hypot(f.landmarks[1][0] - f.landmarks[0][0], f.landmarks[1][1] - f.landmarks[0][1]);
      expect(near(1, f.landmarks[2])).toBeLessThan(0.25 * eyeDist); // nose tip
      expect(near(61, f.landmarks[3])).toBeLessThan(0.25 * eyeDist); // mouth corner (image left)
      expect(near(291, f.landmarks[4])).toBeLessThan(0.25 * eyeDist);
      for (let i = 0; i < 468; i++) expect(inBox(f.box, at(i)[0], at(i)[1], 0.25)).toBe(true);
    }
  });
});

describe('face masks', () => {
  it('oval and regions cover the face and nothing outside the face box', async () => {
    for (const f of groupFaces) {
      const { points } = await faceMesh(mesh, group, f, kernels);
      const size = meshFaceSize(points);
      for (const spec of [{ kind: 'oval' as const }, { kind: 'regions' as const, regions: ['skin', 'eyes', 'eyebrows', 'nose', 'mouth', 'lips'] as const }]) {
        const s = { ...spec, ...(spec.kind === 'regions' ? { regions: [...spec.regions] } : {}) } as Parameters<typeof featherSpec>[1];
        const hard = rasterRegions(points, s, [1, 0, 0, 0, 1, 0], group.width, group.height);
        const m = featherSpec(hard, s, group.width, group.height, size, 0.3, kernels);
        let inside = 0, outside = 0, boxArea = 0;
        for (let y = 0; y < group.height; y++) {
          for (let x = 0; x < group.width; x++) {
            const v = m[y * group.width + x];
            if (inBox(f.box, x, y)) { boxArea++; if (v >= 0.5) inside++; } else if (!inBox(f.box, x, y, 0.1) && v > 0) outside++;
          }
        }
        expect(outside).toBe(0);
        expect(inside / boxArea).toBeGreaterThan(0.45);
        // The middle of the face is fully on: nose tip and the point between the brows.
        for (const i of [1, 168]) expect(m[Math.round(points[3 * i + 1]) * group.width + Math.round(points[3 * i])]).toBeGreaterThan(0.9);
      }
    }
  });

  it('a regions mask holds only its parts: eyes + mouth leave the cheeks and forehead out', async () => {
    const f = groupFaces[1];
    const { points } = await faceMesh(mesh, group, f, kernels);
    const spec = { kind: 'regions' as const, regions: ['eyes' as const, 'mouth' as const] };
    const m = featherSpec(rasterRegions(points, spec, [1, 0, 0, 0, 1, 0], group.width, group.height), spec, group.width, group.height, meshFaceSize(points), 0.3, kernels);
    const v = (i: number) => m[Math.round(points[3 * i + 1]) * group.width + Math.round(points[3 * i])];
    expect(v(13)).toBeGreaterThan(0.5); // upper inner lip
    expect(v(159)).toBeGreaterThan(0.3); // right eye, upper lid
    for (const i of [50, 280, 151, 1]) expect(v(i)).toBe(0); // cheeks, forehead, nose tip
  });

  it('the inswapper crop mask follows the face inside the 128 crop', async () => {
    const f = groupFaces[0];
    const { points } = await faceMesh(mesh, group, f, kernels);
    const m = alignmentMatrix(f.landmarks, 128);
    const mask = cropRegionMask(points, { kind: 'oval' }, m, 128, 0.3, kernels);
    expect(mask[64 * 128 + 64]).toBeGreaterThan(0.99); // the crop centre is the face
    for (let i = 0; i < 128; i++) expect(mask[i] + mask[127 * 128 + i] + mask[i * 128] + mask[i * 128 + 127]).toBe(0);
  });
});

async function result(dir: string, file: string): Promise<DecodedImage> {
  return decodeImage(readFileSync(join(dir, file)), { maxPixels: 5e7, field: 'result' });
}

function changedBy(before: DecodedImage, after: DecodedImage): (x: number, y: number) => boolean {
  return (x, y) => {
    const p = (y * before.width + x) * before.channels;
    return Math.abs(before.data[p] - after.data[p]) + Math.abs(before.data[p + 1] - after.data[p + 1]) + Math.abs(before.data[p + 2] - after.data[p + 2]) > 0;
  };
}

describe('mesh engine', () => {
  it('changes the target faces and no pixel far from them, and moves each face towards the source identity', async () => {
    const ctx = pipelineContext(meshOnlyDir);
    const meta = await runFaceSwap({ source_image: 'portrait_astronaut.jpg', target_image: 'group_apollo11.jpg' }, ctx);
    expect(meta).toMatchObject({ engine: 'mesh', model: 'facemesh', face_mask: 'oval', faces_swapped: 3, width: 600, height: 471 });
    const after = await result(ctx.resultsDir, meta.file);
    const changed = changedBy(group, after);
    const inFace = [0, 0, 0];
    let far = 0;
    for (let y = 0; y < group.height; y++) {
      for (let x = 0; x < group.width; x++) {
        if (!changed(x, y)) continue;
        const k = groupFaces.findIndex((f) => inBox(f.box, x, y));
        if (k >= 0) inFace[k]++;
        else if (!groupFaces.some((f) => inBox(f.box, x, y, 0.2))) far++;
      }
    }
    expect(far).toBe(0);
    groupFaces.forEach((f, k) => expect(inFace[k] / ((f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))).toBeGreaterThan(0.4));

    const source = await photo('portrait_astronaut.jpg');
    const [srcFace] = await detectFaces(source, await yunet(), kernels);
    const srcDesc = lbpDescriptor(source, srcFace);
    const swappedFaces = await detectFaces(after, await yunet(), kernels);
    expect(swappedFaces).toHaveLength(3);
    for (let k = 0; k < 3; k++) {
      const before = chiSquare(lbpDescriptor(group, groupFaces[k]), srcDesc);
      const now = chiSquare(lbpDescriptor(after, swappedFaces[k]), srcDesc);
      expect(now, `face ${k}: χ² to the source ${now.toFixed(3)} vs ${before.toFixed(3)} before`).toBeLessThan(before);
    }
  });

  it('target_faces picks faces by index or the largest; out-of-range indices fail naming the field', async () => {
    const run = async (params: Record<string, unknown>) => {
      const ctx = pipelineContext(meshOnlyDir);
      const meta = await runFaceSwap({ source_image: 'portrait_astronaut.jpg', target_image: 'group_apollo11.jpg', ...params }, ctx);
      const changed = changedBy(group, await result(ctx.resultsDir, meta.file));
      return groupFaces.map((f) => {
        let n = 0;
        for (let y = Math.ceil(f.box[1]); y < f.box[3]; y++) for (let x = Math.ceil(f.box[0]); x < f.box[2]; x++) if (changed(x, y)) n++;
        return n > 0;
      });
    };
    expect(await run({ target_faces: [0, 2] })).toEqual([true, false, true]);
    const area = (f: Face) => (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]);
    const largest = groupFaces.indexOf(groupFaces.reduce((a, b) => (area(b) > area(a) ? b : a)));
    expect(await run({ target_faces: 'largest' })).toEqual(groupFaces.map((_, k) => k === largest));
    await expect(run({ target_faces: [1, 3] })).rejects.toThrow(/target_faces 3 is out of range: target_image has 3 faces/);
  });

  it('reference_image swaps only the target face nearest the reference (FaceMesh descriptor offline)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backserv-ref-'));
    for (const k of [0, 2]) {
      // A reference photo of one astronaut: his face cut from the group photo, enlarged 2×, on its own.
      const f = groupFaces[k];
      const w = f.box[2] - f.box[0], h = f.box[3] - f.box[1];
      const left = Math.max(0, Math.round(f.box[0] - w)), top = Math.max(0, Math.round(f.box[1] - h));
      const png = await sharp(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'images', 'group_apollo11.jpg')))
        .extract({ left, top, width: Math.round(3 * w), height: Math.round(3 * h) }).resize({ width: Math.round(6 * w) }).png().toBuffer();
      writeFileSync(join(dir, `ref${k}.png`), png);
      const ctx = pipelineContext(meshOnlyDir, {
        loadImage: (ref) => (ref.startsWith('ref') ? decodeImage(readFileSync(join(dir, ref)), { maxPixels: 5e7, field: 'reference_image' }) : photo(ref)),
      });
      const meta = await runFaceSwap({ source_image: 'portrait_astronaut.jpg', target_image: 'group_apollo11.jpg', reference_image: `ref${k}.png` }, ctx);
      expect(meta).toMatchObject({ faces_swapped: 1, reference_descriptor: 'mesh' });
      const changed = changedBy(group, await result(ctx.resultsDir, meta.file));
      const hit = groupFaces.map((f) => changed(Math.round((f.box[0] + f.box[2]) / 2), Math.round((f.box[1] + f.box[3]) / 2)));
      expect(hit).toEqual(groupFaces.map((_, j) => j === k));
    }
  });

  it('the pose guard refuses a source turned more than 30° from the target, with a message saying what to change', async () => {
    // The fixtures hold no profile: turn a real FaceMesh result about the vertical axis instead.
    const { points } = await faceMesh(mesh, group, groupFaces[1], kernels);
    const turn = (deg: number) => {
      let cx = 0, cz = 0;
      for (let i = 0; i < 468; i++) { cx += points[3 * i] / 468; cz += points[3 * i + 2] / 468; }
      const a = (deg * Math.PI) / 180;
      const out = Float32Array.from(points);
      for (let i = 0; i < 468; i++) {
        const x = points[3 * i] - cx, z = points[3 * i + 2] - cz;
        out[3 * i] = cx + x * Math.cos(a) + z * Math.sin(a);
        out[3 * i + 2] = cz - x * Math.sin(a) + z * Math.cos(a);
      }
      return out;
    };
    expect(Math.abs(yawDegrees(turn(40)) - yawDegrees(points))).toBeCloseTo(40, -1);
    expect(() => checkPose(turn(40), points, 2)).toThrow(/source face and target face 2 are turned 4\d° apart \(the mesh engine allows 30°\): use a source photo in a similar pose/);
    expect(() => checkPose(turn(-20), points, 0)).not.toThrow();
    expect(MAX_YAW_DIFFERENCE).toBe(30);
  });
});
