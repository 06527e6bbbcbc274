/**
 * The two real tfjs models, converted by the code under test and run in onnxruntime through
 * src/runtime, against golden outputs of the tfjs originals (test/fixtures/tfjs/golden.json,
 * made once by make-golden.ts with TensorFlow.js): FaceMesh landmarks within 0.5 px of the
 * 192x192 crop, the selfie mask within 1e-3. Also: the conversion is deterministic and is the
 * file the manifest pins (size, sha256, I/O signature).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertTfjsSource, type TfjsConversion } from '../../src/models/convert/tfjs/index.js';
import { decodeModel } from '../../src/models/convert/onnx-read.js';
import { loadManifest } from '../../src/models/manifest.js';
import { signatureProblems } from '../../src/models/signature-check.js';
import { chooseDevice, SessionCache, sessionSignature, tensor, type Session } from '../../src/runtime/index.js';
import { FIXTURES } from '../helpers/http.js';
import { maxAbsDiff } from './tfjs-reference.js';

interface Golden {
  facemesh: { faces: { image: string; faceflag: number; mesh: number[]; contours: number[] }[] };
  selfie: { pool: number; masks: { image: string; stats: { mean: number; min: number; max: number; above_half: number }; pooled: number[]; samples: [number, number][] }[] };
}

const DIR = join(FIXTURES, 'tfjs');
const golden = JSON.parse(readFileSync(join(DIR, 'golden.json'), 'utf8')) as Golden;
const sessions = new SessionCache({ device: chooseDevice('cpu'), intraOpThreads: 1 });
const work = mkdtempSync(join(tmpdir(), 'backserv-tfjs-parity-'));
const converted = new Map<string, { conv: TfjsConversion; path: string }>();

/** PNG -> float RGB in 0-1, exactly what make-golden.ts fed TensorFlow.js. */
async function pngInput(name: string): Promise<Float32Array> {
  const { data } = await sharp(join(DIR, name)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return Float32Array.from(data, (v) => v / 255);
}

async function session(id: string): Promise<Session> {
  return sessions.get((converted.get(id) as { path: string }).path);
}

beforeAll(() => {
  for (const [id, from] of [['facemesh', 'tfjs:facemesh'], ['selfie-segmentation', 'tfjs:selfie']]) {
    const conv = convertTfjsSource(from);
    const path = join(work, `${id}.onnx`);
    writeFileSync(path, conv.onnx);
    converted.set(id, { conv, path });
  }
});

afterAll(() => {
  sessions.clear();
  rmSync(work, { recursive: true, force: true });
});

describe('FaceMesh (MediaPipe, tfjs) converted to ONNX', () => {
  it('gives the tfjs landmarks within 0.5 px on three face crops run as one batch', async () => {
    const faces = golden.facemesh.faces;
    const batch = new Float32Array(faces.length * 192 * 192 * 3);
    for (const [i, f] of faces.entries()) batch.set(await pngInput(f.image), i * 192 * 192 * 3);
    const s = await session('facemesh');
    const out = await s.run({ image: tensor('float32', batch, [faces.length, 192, 192, 3]) });
    expect(out.output_mesh.dims).toEqual([faces.length, 1404]);
    const mesh = out.output_mesh.data as Float32Array;
    const contours = out.output_contours.data as Float32Array;
    const flags = out.output_faceflag.data as Float32Array;
    for (const [i, f] of faces.entries()) {
      // The landmarks are real: spread over the crop, not a constant.
      const xs = f.mesh.filter((_, k) => k % 3 === 0);
      expect(Math.max(...xs) - Math.min(...xs), f.image).toBeGreaterThan(50);
      expect(maxAbsDiff(mesh.subarray(i * 1404, (i + 1) * 1404), f.mesh), f.image).toBeLessThanOrEqual(0.5);
      expect(maxAbsDiff(contours.subarray(i * 266, (i + 1) * 266), f.contours), f.image).toBeLessThanOrEqual(0.5);
      expect(Math.abs(flags[i] - f.faceflag), f.image).toBeLessThanOrEqual(1e-3);
    }
  });

  it('keeps feature maps NCHW: one transpose after the input and one before each of the three outputs', () => {
    const nodes = decodeModel((converted.get('facemesh') as { conv: TfjsConversion }).conv.onnx).graph?.node ?? [];
    expect(nodes.filter((n) => n.opType === 'Transpose')).toHaveLength(4);
    expect(nodes.filter((n) => n.opType === 'Conv')).toHaveLength(55);
  });
});

describe('selfie segmentation (MediaPipe, tfjs) converted to ONNX', () => {
  it('gives the tfjs mask within 1e-3 on the fixture portraits (8x8 block means, 400 sampled pixels, summary stats)', async () => {
    const s = await session('selfie-segmentation');
    const pool = golden.selfie.pool;
    for (const g of golden.selfie.masks) {
      const out = await s.run({ image: tensor('float32', await pngInput(g.image), [1, 256, 256, 3]) });
      expect(out.mask.dims).toEqual([1, 256, 256, 1]);
      const mask = out.mask.data as Float32Array;
      const pooled: number[] = [];
      for (let by = 0; by < 256 / pool; by++) {
        for (let bx = 0; bx < 256 / pool; bx++) {
          let sum = 0;
          for (let y = 0; y < pool; y++) for (let x = 0; x < pool; x++) sum += mask[(by * pool + y) * 256 + bx * pool + x];
          pooled.push(sum / pool ** 2);
        }
      }
      expect(maxAbsDiff(pooled, g.pooled), g.image).toBeLessThanOrEqual(1e-3);
      expect(maxAbsDiff(g.samples.map(([i]) => mask[i]), g.samples.map(([, v]) => v)), g.image).toBeLessThanOrEqual(1e-3);
      const mean = mask.reduce((a, b) => a + b, 0) / mask.length;
      const aboveHalf = mask.filter((v) => v > 0.5).length / mask.length;
      expect(Math.abs(mean - g.stats.mean), g.image).toBeLessThanOrEqual(1e-3);
      expect(Math.abs(aboveHalf - g.stats.above_half), g.image).toBeLessThanOrEqual(1e-3);
      // A real segmentation: both person and background present.
      expect(g.stats.above_half).toBeGreaterThan(0.2);
      expect(g.stats.above_half).toBeLessThan(0.8);
    }
  });
});

describe('the converted files and the manifest', () => {
  const manifest = loadManifest();

  it('are what the manifest pins: same size and sha256 on every conversion, and its I/O signature', async () => {
    for (const id of ['facemesh', 'selfie-segmentation']) {
      const entry = manifest.models.find((m) => m.id === id);
      expect(entry?.source, id).toBe('convert');
      const { conv, path } = converted.get(id) as { conv: TfjsConversion; path: string };
      const again = convertTfjsSource(entry?.convertFrom as string).onnx;
      expect(Buffer.compare(Buffer.from(again), Buffer.from(conv.onnx)), `${id} conversion is deterministic`).toBe(0);
      const file = entry?.files.find((f) => f.path === 'model.onnx');
      expect(file?.size, id).toBe(conv.onnx.length);
      expect(file?.sha256, id).toBe(createHash('sha256').update(conv.onnx).digest('hex'));
      const s = await sessions.get(path);
      expect(signatureProblems(entry!.signature['model.onnx'], sessionSignature(s)), id).toEqual([]);
      expect(entry?.license.nonCommercial).toBe(false);
    }
  });
});
