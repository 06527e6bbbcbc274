/**
 * The mesh engine's two guards on the blend, with the real YuNet and FaceMesh on the fixtures:
 * keep_target_regions leaves the target's own eyes and mouth in place (pixels inside them equal
 * the target's; without it they change; with the test inswapper too), "auto" decides from the eye and mouth aspect ratios of
 * the two meshes, and the forehead fade keeps the blend off the top of the forehead (where the
 * source's hairline would come over) while the rest of the face is swapped at full weight.
 */
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { DecodedImage } from '../../src/imaging/decoded-image.js';
import { loadKernels } from '../../src/native/index.js';
import { detectFaces } from '../../src/pipelines/face-swap/detect.js';
import { FOREHEAD_BAND, foreheadWeightAt } from '../../src/pipelines/face-swap/forehead-fade.js';
import { runFaceSwap } from '../../src/pipelines/face-swap/index.js';
import { faceMesh } from '../../src/pipelines/face-swap/landmarks.js';
import { rasterRegions } from '../../src/pipelines/face-swap/mask.js';
import { meshMasks, meshPatch } from '../../src/pipelines/face-swap/mesh-swap.js';
import { keepRegionsFor, openness } from '../../src/pipelines/face-swap/openness.js';
import { OPENNESS_THRESHOLD } from '../../src/pipelines/face-swap/openness-threshold.js';
import { parse as parseFaceSwap } from '../../src/pipelines/face-swap/params.js';
import { TaskError } from '../../src/tasks/task-errors.js';
import { modelPath, photo, pipelineContext, sessions, yunet, yunetModelsDir } from './support.js';

const kernels = loadKernels();
let group: DecodedImage;
/** FaceMesh points of the three Apollo 11 faces, left to right. */
let groupPts: Float32Array[];
let portraitPts: Float32Array;
let meshOnlyDir: string;

beforeAll(async () => {
  const mesh = await sessions.get(modelPath('facemesh'));
  const detector = await yunet();
  group = await photo('group_apollo11.jpg');
  groupPts = [];
  for (const f of await detectFaces(group, detector, kernels)) groupPts.push((await faceMesh(mesh, group, f, kernels)).points);
  const portrait = await photo('portrait_astronaut.jpg');
  portraitPts = (await faceMesh(mesh, portrait, (await detectFaces(portrait, detector, kernels))[0], kernels)).points;
  meshOnlyDir = mkdtempSync(join(tmpdir(), 'backserv-mesh-guard-models-'));
  symlinkSync(join(inject('testModelsDir'), 'facemesh'), join(meshOnlyDir, 'facemesh'), 'dir');
});

async function swapGroup(extra: Record<string, unknown>, modelsDir = meshOnlyDir): Promise<Buffer> {
  const ctx = pipelineContext(modelsDir);
  const meta = await runFaceSwap({ source_image: 'portrait_astronaut.jpg', target_image: 'group_apollo11.jpg', engine: 'mesh', ...extra }, ctx);
  return sharp(readFileSync(join(ctx.resultsDir, meta.file))).removeAlpha().raw().toBuffer();
}

/** Mean absolute RGB difference between `out` and the target over the pixels a hard 0/1 mask (whole image) sets. */
function meanDiffIn(out: Buffer, hard: Float32Array): number {
  let s = 0, n = 0;
  for (let i = 0; i < hard.length; i++) {
    if (hard[i] < 1) continue;
    for (let c = 0; c < 3; c++, n++) s += Math.abs(out[3 * i + c] - group.data[group.channels * i + c]);
  }
  expect(n).toBeGreaterThan(0);
  return s / n;
}

const identity = [1, 0, 0, 0, 1, 0] as const;
const regionOf = (pts: Float32Array, regions: ('eyes' | 'mouth' | 'nose')[]) => rasterRegions(pts, { kind: 'regions', regions }, identity, group.width, group.height);

describe('keep_target_regions', () => {
  it('["eyes", "mouth"]: pixels inside each target face\'s eyes and mouth stay the target\'s; without it they change; the rest is still swapped', async () => {
    const plain = await swapGroup({});
    const kept = await swapGroup({ keep_target_regions: ['eyes', 'mouth'] });
    for (const pts of groupPts) {
      for (const region of ['eyes', 'mouth'] as const) {
        const hard = regionOf(pts, [region]);
        expect(meanDiffIn(kept, hard), region).toBeLessThan(1);
        expect(meanDiffIn(plain, hard), region).toBeGreaterThan(5);
      }
      // The nose (not kept) is swapped either way, about as much (the colour transfer's skin statistics leave the kept parts out).
      const nose = regionOf(pts, ['nose']);
      expect(meanDiffIn(kept, nose)).toBeGreaterThan(5);
      expect(meanDiffIn(kept, nose)).toBeGreaterThan(0.8 * meanDiffIn(plain, nose));
    }
  });

  it('engine "inswapper" (test swapper) keeps them too: the keep mask is applied in its 128 crop', async () => {
    const dir = yunetModelsDir();
    const plain = await swapGroup({ engine: 'inswapper' }, dir);
    const kept = await swapGroup({ engine: 'inswapper', keep_target_regions: ['eyes', 'mouth'] }, dir);
    for (const pts of groupPts) {
      for (const region of ['eyes', 'mouth'] as const) {
        const hard = regionOf(pts, [region]);
        expect(meanDiffIn(kept, hard), region).toBeLessThan(1.5);
        expect(meanDiffIn(plain, hard), region).toBeGreaterThan(5);
      }
      expect(meanDiffIn(kept, regionOf(pts, ['nose']))).toBeGreaterThan(5);
    }
  });

  it('"auto": the eye / mouth aspect ratios from the mesh decide per face', () => {
    const open = openness(portraitPts);
    expect(open.eyes).toBeGreaterThan(0.2);
    // The same face with its lids shut (upper lid points onto the lower ones) and with its mouth opened wide.
    const shut = Float32Array.from(portraitPts);
    for (const [up, down] of [[160, 144], [159, 145], [158, 153], [161, 163], [157, 154], [385, 380], [386, 374], [387, 373], [384, 381], [388, 390]]) {
      shut[3 * up] = shut[3 * down];
      shut[3 * up + 1] = shut[3 * down + 1];
    }
    expect(openness(shut).eyes).toBeLessThan(0.02);
    const gaping = Float32Array.from(portraitPts);
    const width = Math.hypot(portraitPts[3 * 308] - portraitPts[3 * 78], portraitPts[3 * 308 + 1] - portraitPts[3 * 78 + 1]);
    for (const i of [87, 14, 317, 178, 402, 88, 318]) gaping[3 * i + 1] += 0.5 * width; // lower inner lip down by half the mouth width
    expect(openness(gaping).mouth - open.mouth).toBeGreaterThan(OPENNESS_THRESHOLD.mouth);
    expect(keepRegionsFor('auto', portraitPts, portraitPts)).toEqual([]);
    expect(keepRegionsFor('auto', portraitPts, shut)).toEqual(['eyes']);
    expect(keepRegionsFor('auto', shut, portraitPts)).toEqual(['eyes']);
    expect(keepRegionsFor('auto', portraitPts, gaping)).toEqual(['mouth']);
    // Real faces with open eyes and closed or smiling mouths: nothing kept.
    for (const pts of groupPts) expect(keepRegionsFor('auto', portraitPts, pts)).toEqual([]);
    expect(keepRegionsFor(['mouth'], portraitPts, portraitPts)).toEqual(['mouth']);
  });

  it('"auto" through the pipeline on faces alike in openness: the same picture as without the option', async () => {
    const plain = await swapGroup({ target_faces: [1] });
    const auto = await swapGroup({ target_faces: [1], keep_target_regions: 'auto' });
    expect(Buffer.compare(plain, auto)).toBe(0);
  });

  it('parse: default none; bad values fail naming the field', () => {
    const base = { source_image: 'a', target_image: 'b' };
    expect(parseFaceSwap(base).keepTargetRegions).toEqual([]);
    expect(parseFaceSwap({ ...base, keep_target_regions: 'none' }).keepTargetRegions).toEqual([]);
    expect(parseFaceSwap({ ...base, keep_target_regions: 'auto' }).keepTargetRegions).toBe('auto');
    expect(parseFaceSwap({ ...base, keep_target_regions: ['mouth', 'eyes'] }).keepTargetRegions).toEqual(['mouth', 'eyes']);
    for (const bad of ['all', [], ['nose'], 3]) {
      expect(() => parseFaceSwap({ ...base, keep_target_regions: bad })).toThrow(TaskError);
      expect(() => parseFaceSwap({ ...base, keep_target_regions: bad })).toThrow(/task_params\.keep_target_regions/);
    }
  });
});

describe('forehead fade (mesh engine)', () => {
  const weightAt = (mask: Float32Array, patch: { x0: number; y0: number; width: number }, pts: Float32Array, i: number) =>
    mask[(Math.floor(pts[3 * i + 1]) - patch.y0) * patch.width + Math.floor(pts[3 * i]) - patch.x0];

  it('the blend weight at the top forehead landmarks and across the forehead band is below the cheeks\' and the nose bridge\'s', () => {
    for (const pts of groupPts) {
      const patch = meshPatch(pts, group.width, group.height);
      if (!patch) throw new Error('no patch');
      const { colour, blend } = meshMasks(pts, patch, null, { mask: { kind: 'oval' }, maskBlur: 0.3, keep: [] }, kernels);
      // 117 / 346: the cheeks under the eyes; 6: the nose bridge: full weight.
      const cheeks = Math.max(...[117, 346].map((i) => weightAt(blend, patch, pts, i)));
      expect(cheeks).toBeGreaterThan(0.95);
      expect(weightAt(blend, patch, pts, 6)).toBeGreaterThan(0.95);
      // 10: the mesh's top; 109 / 338, 67 / 297: the top forehead row out to the temples.
      for (const i of [10, 109, 338, 67, 297]) expect(weightAt(blend, patch, pts, i), `vertex ${i}`).toBeLessThan(0.05);
      // Down the face's centre line from vertex 10 at 4, 6 and 8 % of the mesh height: faded against the unfaded mask
      // (the fade there is 0.35, 0.65, 0.90; the bounds allow for the pixel grid).
      const [tx, ty, cx, cy] = [pts[30], pts[31], pts[3 * 152], pts[3 * 152 + 1]];
      for (const [share, most] of [[0.04, 0.45], [0.06, 0.75], [0.08, 0.98]]) {
        const x = Math.floor(tx + share * (cx - tx)) - patch.x0, y = Math.floor(ty + share * (cy - ty)) - patch.y0;
        const i = y * patch.width + x;
        expect(colour[i], `${share}`).toBeGreaterThan(0.2);
        expect(blend[i], `${share}`).toBeLessThan(most * colour[i]);
        expect(blend[i], `${share}`).toBeLessThan(cheeks);
      }
    }
  });

  it('fades along the face\'s own axis over the top FOREHEAD_BAND of the mesh height', () => {
    const pts = groupPts[1];
    const [tx, ty, cx, cy] = [pts[30], pts[31], pts[3 * 152], pts[3 * 152 + 1]];
    const at = (s: number) => foreheadWeightAt(pts, tx + s * (cx - tx), ty + s * (cy - ty));
    expect(at(-0.05)).toBe(0);
    expect(at(0)).toBe(0);
    expect(at(FOREHEAD_BAND / 2)).toBeCloseTo(0.5, 5);
    expect(at(FOREHEAD_BAND)).toBe(1);
    expect(at(0.5)).toBe(1);
    for (let s = 0; s < FOREHEAD_BAND; s += 0.01) expect(at(s + 0.01)).toBeGreaterThanOrEqual(at(s));
  });

  it('the swap leaves the top of each target forehead (nearly) as it was and still changes the face below', async () => {
    const out = await swapGroup({});
    for (const pts of groupPts) {
      // A small disc around the upper-forehead vertex 151 (inside the band) against one around the nose bridge (6).
      const disc = (i: number) => {
        const m = new Float32Array(group.width * group.height);
        const r = 0.03 * Math.hypot(pts[3 * 152] - pts[30], pts[3 * 152 + 1] - pts[31]);
        for (let y = Math.floor(pts[3 * i + 1] - r); y <= pts[3 * i + 1] + r; y++) {
          for (let x = Math.floor(pts[3 * i] - r); x <= pts[3 * i] + r; x++) if (Math.hypot(x + 0.5 - pts[3 * i], y + 0.5 - pts[3 * i + 1]) <= r) m[y * group.width + x] = 1;
        }
        return m;
      };
      expect(meanDiffIn(out, disc(10))).toBeLessThan(2);
      expect(meanDiffIn(out, disc(6))).toBeGreaterThan(meanDiffIn(out, disc(10)) + 3);
    }
  });
});
