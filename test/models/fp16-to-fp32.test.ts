import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertModelToFp32 } from '../../src/models/convert/precision/to-fp32.js';
import { floatsToHalves, halvesToFloats } from '../../src/models/convert/fp16.js';
import { DT, GraphBuilder } from '../../src/models/convert/onnx-graph.js';
import { randomFloats, seededRandom } from '../support/random-weights.js';
import { decodeModel, encodeModel } from '../../src/models/convert/onnx-read.js';
import { chooseDevice, SessionCache, sessionSignature, tensor } from '../../src/runtime/index.js';

const dir = mkdtempSync(join(tmpdir(), 'backserv-fp16-'));
const cache = new SessionCache({ device: chooseDevice('cpu'), intraOpThreads: 1 });
afterAll(() => {
  cache.clear();
  rmSync(dir, { recursive: true, force: true });
});

/** fp16 in and out: Conv (weights in an external file) -> Relu -> MatMul -> Cast fp32 -> Mul -> Cast fp16. */
function writeFp16Model(path: string): void {
  const g = new GraphBuilder('fp16_test');
  const rand = seededRandom(7);
  const x = g.input('x', DT.FLOAT16, [1, 3, 8, 8]);
  const w = g.init('conv_w', floatsToHalves(randomFloats(rand, 4 * 3 * 9, 0.5)), [4, 3, 3, 3]);
  const b = g.init('conv_b', floatsToHalves(randomFloats(rand, 4, 0.1)), [4]);
  const y = g.op('Relu', [g.op('Conv', [x, w, b], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })]);
  const m = g.op('MatMul', [y, g.init('mm', floatsToHalves(randomFloats(rand, 64, 0.3)), [8, 8])]);
  const scaled = g.op('Mul', [g.op('Cast', [m], { to: DT.FLOAT }), g.floats([1.5], [])]);
  g.op('Cast', [scaled], { to: DT.FLOAT16 }, 'y');
  g.output('y', DT.FLOAT16, [1, 4, 8, 8]);
  const model = decodeModel(g.encode());
  // Move the conv weights into an external data file, as large exports do.
  const conv = model.graph!.initializer!.find((t) => t.name === 'conv_w')!;
  const raw = conv.rawData!;
  writeFileSync(join(dir, 'weights.bin'), Buffer.concat([Buffer.alloc(16, 7), Buffer.from(raw)]));
  conv.rawData = new Uint8Array(0);
  conv.dataLocation = 1;
  conv.externalData = [
    { key: 'location', value: 'weights.bin' },
    { key: 'offset', value: '16' },
    { key: 'length', value: String(raw.length) },
  ];
  writeFileSync(path, encodeModel(model));
}

describe('fp16 -> fp32', () => {
  it('converts weights (incl. external data), casts and IO types; outputs agree within fp16 tolerance', async () => {
    const src = join(dir, 'model.onnx');
    const dest = join(dir, 'model.fp32.onnx');
    writeFp16Model(src);
    const stats = convertModelToFp32(src, dest);
    expect(stats.convertedTensors).toBe(3);
    expect(stats.convertedTypes).toBe(3); // input x, output y, Cast(to=fp16)
    expect(stats.externalFile).toBeNull();

    const x32 = Float32Array.from({ length: 3 * 64 }, (_, i) => Math.sin(i * 0.3));
    const s16 = await cache.get(src);
    const y16 = halvesToFloats((await s16.run({ x: tensor('float16', floatsToHalves(x32), [1, 3, 8, 8]) })).y.data as Uint16Array);
    const s32 = await cache.get(dest);
    expect(sessionSignature(s32).inputs[0]).toMatchObject({ name: 'x', type: 'float32' });
    expect(sessionSignature(s32).outputs[0]).toMatchObject({ name: 'y', type: 'float32' });
    const y32 = (await s32.run({ x: tensor('float32', x32, [1, 3, 8, 8]) })).y.data as Float32Array;
    expect(y32.length).toBe(y16.length);
    let maxRel = 0;
    let nonZero = 0;
    for (let i = 0; i < y32.length; i++) {
      maxRel = Math.max(maxRel, Math.abs(y32[i] - y16[i]) / Math.max(1, Math.abs(y32[i])));
      if (y32[i] !== 0) nonZero += 1;
    }
    expect(nonZero).toBeGreaterThan(y32.length / 4);
    expect(maxRel).toBeLessThan(2e-2);
  });

  it('writes external data when the fp32 weights pass the threshold', async () => {
    const src = join(dir, 'model.onnx');
    const dest = join(dir, 'big.onnx');
    if (!existsSync(src)) writeFp16Model(src);
    const stats = convertModelToFp32(src, dest, { externalThreshold: 16 });
    expect(stats.externalFile).toBe(`${dest}.data`);
    // conv_w (108 floats) and mm (64 floats) move out; the 4-float bias stays inline.
    expect(readFileSync(`${dest}.data`).length).toBe((4 * 3 * 9 + 64) * 4);
    const s = await cache.get(dest);
    const y = (await s.run({ x: tensor('float32', new Float32Array(3 * 64).fill(0.5), [1, 3, 8, 8]) })).y;
    expect(y.dims).toEqual([1, 4, 8, 8]);
  });
});
