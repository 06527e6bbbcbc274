/**
 * The SCRFD path end to end on the signature-exact test model (random weights: the results are
 * checked for shape and invariants, the decoding maths itself is in decoders.test.ts), and the
 * emap read from the test inswapper's protobuf against a full onnx-proto decode.
 */
import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/native/index.js';
import { detectFaces } from '../../src/pipelines/face-swap/detect.js';
import { loadEmap, readLastInitializer } from '../../src/pipelines/face-swap/emap.js';
import { iou } from '../../src/pipelines/face-swap/nms.js';
import { modelPath, photo, sessions } from './support.js';

const kernels = loadKernels();

describe('SCRFD on the test model', () => {
  it('keeps the real threshold 0.5 by default', async () => {
    const session = await sessions.get(modelPath('scrfd-10g'));
    const img = await photo('group_apollo11.jpg');
    const faces = await detectFaces(img, { kind: 'scrfd', session }, kernels);
    const lower = await detectFaces(img, { kind: 'scrfd', session }, kernels, { threshold: 0.3 });
    expect(faces.length).toBeLessThan(lower.length);
    for (const f of faces) expect(f.score).toBeGreaterThanOrEqual(0.5);
  });

  it('returns well-formed faces: in the image, scores ≥ threshold, NMS-clean, sorted left to right', async () => {
    const session = await sessions.get(modelPath('scrfd-10g'));
    for (const name of ['group_apollo11.jpg', 'lowres_bryan.png']) {
      const img = await photo(name);
      // Random weights with a sigmoid(x − 2) score head: a lower threshold than the real 0.5
      // makes them fire a few dozen times on a real photo.
      const faces = await detectFaces(img, { kind: 'scrfd', session }, kernels, { threshold: 0.3 });
      expect(faces.length).toBeGreaterThan(0);
      for (const f of faces) {
        expect(f.score).toBeGreaterThanOrEqual(0.3);
        expect(f.score).toBeLessThanOrEqual(1);
        const [x1, y1, x2, y2] = f.box;
        expect(0 <= x1 && x1 <= x2 && x2 <= img.width).toBe(true);
        expect(0 <= y1 && y1 <= y2 && y2 <= img.height).toBe(true);
        expect(f.landmarks).toHaveLength(5);
        for (const p of f.landmarks) expect(p.every(Number.isFinite)).toBe(true);
      }
      for (let i = 1; i < faces.length; i++) {
        expect(faces[i].box[0] + faces[i].box[2]).toBeGreaterThanOrEqual(faces[i - 1].box[0] + faces[i - 1].box[2]);
      }
      // NMS ran in network pixels; IoU is scale-invariant up to the +1 convention and clipping.
      for (let i = 0; i < faces.length; i++) {
        for (let j = i + 1; j < faces.length; j++) expect(iou(faces[i].box, faces[j].box, false)).toBeLessThan(0.6);
      }
    }
  });
});

describe('emap', () => {
  it('is the last initializer, 512×512, identical to a full onnx-proto decode of the model', () => {
    const path = modelPath('inswapper-128');
    const model = onnxProto.onnx.ModelProto.decode(readFileSync(path));
    const inits = model.graph?.initializer ?? [];
    const last = inits[inits.length - 1];
    const raw = last.rawData;
    const expected = raw && raw.length ? new Float32Array(Uint8Array.from(raw).buffer) : Float32Array.from(last.floatData ?? []);
    const read = readLastInitializer(path);
    expect(read.name).toBe(last.name);
    expect(read.dims).toEqual([512, 512]);
    expect(read.data.length).toBe(512 * 512);
    // Byte-for-byte (a deep toEqual over 262,144 floats is needlessly slow).
    expect(Buffer.from(read.data.buffer, read.data.byteOffset, read.data.byteLength)
      .equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength))).toBe(true);
    const emap = loadEmap(path);
    expect(emap.rows).toBe(512);
    expect(loadEmap(path)).toBe(emap); // cached per path
  });

  it('refuses a model whose last initializer is not 512×512', () => {
    expect(() => loadEmap(modelPath('arcface-w600k-r50'))).toThrow(/expected the 512×512 emap/);
  });
});
