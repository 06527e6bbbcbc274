/**
 * fp32 -> fp16: weights and types become fp16, ops without fp16 kernels stay fp32 behind Casts,
 * Resize's scales stay fp32, keepIoTypes keeps a float32 signature, external data is rewritten
 * beside the final model; a real Real-ESRGAN model gives the same picture in fp16.
 */
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { floatsToHalves, floatToHalf, halvesToFloats } from '../../src/models/convert/fp16.js';
import { convertUpscaylModel } from '../../src/models/convert/ncnn-to-onnx.js';
import { DT, GraphBuilder } from '../../src/models/convert/onnx-graph.js';
import { randomFloats, seededRandom } from '../support/random-weights.js';
import { decodeModel, encodeModel } from '../../src/models/convert/onnx-read.js';
import { convertModelToFp16 } from '../../src/models/convert/precision/to-fp16.js';
import { convertModelToFp32 } from '../../src/models/convert/precision/to-fp32.js';
import { chooseDevice, SessionCache, sessionSignature, tensor } from '../../src/runtime/index.js';
import { FIXTURES } from '../helpers/http.js';

const dir = mkdtempSync(join(tmpdir(), 'backserv-fp32to16-'));
const cache = new SessionCache({ device: chooseDevice('cpu'), intraOpThreads: 1 });
afterAll(() => {
  cache.clear();
  rmSync(dir, { recursive: true, force: true });
});

const rand = seededRandom(11);
const convW = randomFloats(rand, 4 * 3 * 9, 0.5);

/** x -> Conv (external weights) -> Relu -> Resize x2 -> Mul by a Constant -> Max (an fp32-only op) -> Cast(float) -> y. */
function writeFp32Model(path: string): void {
  const g = new GraphBuilder('fp32_test');
  const x = g.input('x', DT.FLOAT, [1, 3, 8, 8]);
  const w = g.init('conv_w', convW, [4, 3, 3, 3]);
  const b = g.init('conv_b', randomFloats(rand, 4, 0.1), [4]);
  const r = g.op('Relu', [g.op('Conv', [x, w, b], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })]);
  const up = g.op('Resize', [r, '', g.init('scales', Float32Array.from([1, 1, 2, 2]), [4])], { mode: 'nearest' });
  const k = g.op('Constant', [], { value_float: { f: 0.25 } });
  const floor = g.init('max_floor', Float32Array.from([0.05]), [1]);
  const mx = g.op('Max', [g.op('Mul', [up, k]), floor], {}, 'mx');
  g.op('Cast', [mx], { to: DT.FLOAT }, 'y');
  g.output('y', DT.FLOAT, [1, 4, 16, 16]);
  const model = decodeModel(g.encode());
  const conv = model.graph!.initializer!.find((t) => t.name === 'conv_w')!;
  writeFileSync(join(dir, 'weights.bin'), Buffer.concat([Buffer.alloc(8, 1), Buffer.from(conv.rawData!)]));
  conv.externalData = [
    { key: 'location', value: 'weights.bin' },
    { key: 'offset', value: '8' },
    { key: 'length', value: String(conv.rawData!.length) },
  ];
  conv.rawData = new Uint8Array(0);
  conv.dataLocation = 1;
  writeFileSync(path, encodeModel(model));
}

const input = Float32Array.from({ length: 3 * 64 }, (_, i) => Math.sin(i * 0.37) * 2);

async function runY(path: string, half: boolean): Promise<Float32Array> {
  const s = await cache.get(path);
  const x = half ? tensor('float16', floatsToHalves(input), [1, 3, 8, 8]) : tensor('float32', input, [1, 3, 8, 8]);
  const y = (await s.run({ x })).y;
  return half ? halvesToFloats(y.data as Uint16Array) : (y.data as Float32Array);
}

function maxRelError(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(0.1, Math.abs(a[i])));
  return worst;
}

const src = join(dir, 'model.onnx');
writeFp32Model(src);

describe('fp32 -> fp16', () => {
  it('keeps a float32 signature with keepIoTypes; outputs agree within fp16 tolerance', async () => {
    const dest = join(dir, 'keep-io.onnx');
    const stats = convertModelToFp16(src, dest, { keepIoTypes: true });
    expect(stats.externalFile).toBeNull();
    expect(stats.replacedFiles).toEqual([join(dir, 'weights.bin')]);
    const g = decodeModel(readFileSync(dest)).graph!;
    const init = new Map(g.initializer!.map((t) => [t.name, t]));
    expect(init.get('conv_w')!.dataType).toBe(DT.FLOAT16);
    expect(init.get('conv_w')!.dataLocation ?? 0).toBe(0); // pulled inline: the result does not point at weights.bin
    expect(init.get('conv_b')!.dataType).toBe(DT.FLOAT16);
    expect(init.get('scales')!.dataType).toBe(DT.FLOAT); // Resize's scales must be float32
    expect(init.get('max_floor')!.dataType).toBe(DT.FLOAT); // read only by Max, which stays fp32
    const max = g.node!.find((n) => n.opType === 'Max')!;
    // Max reads its fp16 input through an inserted Cast; its output is read only by the float32
    // output's Cast, so it is not cast to fp16 and back.
    const producer = (name: string) => g.node!.find((n) => n.output![0] === name)!;
    const castTo = (name: string) => (producer(name).opType === 'Cast' ? Number(producer(name).attribute![0].i) : null);
    expect(castTo(max.input![0])).toBe(DT.FLOAT);
    expect(max.input![1]).toBe('max_floor');
    expect(max.output![0]).toBe('mx');
    expect(castTo('y')).toBe(DT.FLOAT);
    expect(producer('y').input).toEqual(['mx']);
    expect(sessionSignature(await cache.get(dest))).toMatchObject({
      inputs: [{ name: 'x', type: 'float32' }], outputs: [{ name: 'y', type: 'float32' }],
    });
    const [y32, y16] = [await runY(src, false), await runY(dest, false)];
    expect(y16.length).toBe(4 * 256);
    expect(y32.filter((v) => v > 0.05).length).toBeGreaterThan(100); // not all clamped to the floor
    expect(maxRelError(y32, y16)).toBeLessThan(1e-2);
  });

  it('without keepIoTypes the signature is float16 and it runs with float16 tensors', async () => {
    const dest = join(dir, 'half-io.onnx');
    convertModelToFp16(src, dest);
    expect(sessionSignature(await cache.get(dest))).toMatchObject({
      inputs: [{ name: 'x', type: 'float16' }], outputs: [{ name: 'y', type: 'float16' }],
    });
    expect(maxRelError(await runY(src, false), await runY(dest, true))).toBeLessThan(1e-2);
  });

  it('converting a converted model again changes nothing (with and without keepIoTypes)', () => {
    for (const keepIoTypes of [true, false]) {
      const once = join(dir, `once-${keepIoTypes}.onnx`);
      const first = convertModelToFp16(src, once, { keepIoTypes });
      expect(first.convertedTensors + first.convertedTypes + first.insertedCasts).toBeGreaterThan(0);
      const again = convertModelToFp16(once, join(dir, `twice-${keepIoTypes}.onnx`), { keepIoTypes });
      expect(again, `keepIoTypes ${keepIoTypes}`).toMatchObject({ convertedTensors: 0, convertedTypes: 0, insertedCasts: 0 });
    }
  });

  it('converts If subgraphs, which read the (kept float32) graph input by name', async () => {
    // y = cond ? x + 0.5 : x * 3, the constants in the branches' own initializers.
    const T = 1; // FLOAT
    const vi = (name: string, elemType: number) => ({ name, type: { tensorType: { elemType, shape: { dim: [{ dimValue: 4 }] } } } });
    const branch = (name: string, op: string, c: number) => ({
      name, node: [{ opType: op, input: ['x', `${name}_c`], output: [`${name}_out`] }],
      initializer: [{ name: `${name}_c`, dataType: T, dims: [1], rawData: new Uint8Array(Float32Array.of(c).buffer) }],
      output: [vi(`${name}_out`, T)],
    });
    const model = decodeModel(new GraphBuilder('if').encode());
    model.graph = {
      name: 'if_test',
      input: [vi('x', T), { name: 'cond', type: { tensorType: { elemType: 9, shape: { dim: [] } } } }],
      output: [vi('y', T)],
      node: [{
        opType: 'If', input: ['cond'], output: ['y'],
        attribute: [{ name: 'then_branch', type: 5, g: branch('then', 'Add', 0.5) }, { name: 'else_branch', type: 5, g: branch('else', 'Mul', 3) }],
      }],
    };
    const path = join(dir, 'if.onnx');
    writeFileSync(path, encodeModel(model));
    const dest = join(dir, 'if16.onnx');
    const stats = convertModelToFp16(path, dest, { keepIoTypes: true });
    expect(stats.convertedTensors).toBe(2); // the two branch constants
    const s16 = await cache.get(dest);
    const x = Float32Array.of(1, -2, 0.25, 100);
    for (const [cond, want] of [[true, [1.5, -1.5, 0.75, 100.5]], [false, [3, -6, 0.75, 300]]] as const) {
      const y = (await s16.run({ x: tensor('float32', x, [4]), cond: tensor('bool', Uint8Array.of(cond ? 1 : 0), []) })).y.data as Float32Array;
      expect(Array.from(y)).toEqual(want);
    }
  });

  it('round-trips: fp16 -> fp32 gives the fp16-rounded weights back', () => {
    const half = join(dir, 'rt16.onnx');
    const back = join(dir, 'rt32.onnx');
    convertModelToFp16(src, half);
    convertModelToFp32(half, back);
    const w = decodeModel(readFileSync(back)).graph!.initializer!.find((t) => t.name === 'conv_w')!;
    expect(w.dataType).toBe(DT.FLOAT);
    const got = new Float32Array(new Uint8Array(w.rawData!).buffer);
    expect(got).toEqual(halvesToFloats(floatsToHalves(convW)));
  });

  it('clamps values beyond fp16 range to ±65504 and keeps NaN', () => {
    const g = new GraphBuilder('clamp');
    g.op('Add', [g.input('x', DT.FLOAT, [5]), g.init('c', Float32Array.from([1e9, -Infinity, NaN, 1e-9, 0.5]), [5])], {}, 'y');
    g.output('y', DT.FLOAT, [5]);
    const path = join(dir, 'clamp.onnx');
    writeFileSync(path, g.encode());
    convertModelToFp16(path, join(dir, 'clamp16.onnx'));
    const c = decodeModel(readFileSync(join(dir, 'clamp16.onnx'))).graph!.initializer![0];
    const halves = Array.from(new Uint16Array(new Uint8Array(c.rawData!).buffer));
    expect(halves.map((h) => h.toString(16))).toEqual([0x7bff, 0xfbff, -1, 0, floatToHalf(0.5)].map((h) => (h < 0 ? halves[2] : h).toString(16)));
    expect(Number.isNaN(halvesToFloats(Uint16Array.of(halves[2]))[0])).toBe(true);
  });

  it('writes large weights to a side file named after the final model, which then loads', async () => {
    const tmp = join(dir, 'final.onnx.part');
    const stats = convertModelToFp16(src, tmp, { keepIoTypes: true, externalThreshold: 16, finalPath: join(dir, 'final.onnx') });
    expect(stats.externalFile).toBe(`${tmp}.data`);
    renameSync(stats.externalFile!, join(dir, 'final.onnx.data'));
    renameSync(tmp, join(dir, 'final.onnx'));
    expect(readFileSync(join(dir, 'final.onnx.data')).length).toBe(4 * 3 * 9 * 2); // conv_w in fp16; small ones stay inline
    expect(maxRelError(await runY(src, false), await runY(join(dir, 'final.onnx'), false))).toBeLessThan(1e-2);
  });

  // upscayl ships these weights in fp16 already, so the conversion itself loses nothing here; on
  // the CPU provider onnxruntime computes fp16 graphs through its own inserted casts, so the
  // fp16 arithmetic proper is exercised on a GPU host only.
  it('a real Real-ESRGAN (x4fast) model gives the same picture in fp16 (PSNR >= 40 dB)', async () => {
    const fp32 = join(dir, 'x4fast.onnx');
    writeFileSync(fp32, convertUpscaylModel('realesrgan-x4fast'));
    const fp16 = join(dir, 'x4fast16.onnx');
    const stats = convertModelToFp16(fp32, fp16, { keepIoTypes: true });
    expect(stats.convertedTensors).toBeGreaterThan(50);
    expect(existsSync(fp16)).toBe(true);
    const { data, info } = await sharp(join(FIXTURES, 'images', 'lowres_bryan.png')).removeAlpha()
      .extract({ left: 40, top: 40, width: 48, height: 48 }).raw().toBuffer({ resolveWithObject: true });
    const planar = new Float32Array(3 * info.width * info.height);
    for (let i = 0; i < info.width * info.height; i++) for (let c = 0; c < 3; c++) planar[c * info.width * info.height + i] = data[i * 3 + c] / 255;
    const run = async (path: string) => {
      const s = await cache.get(path);
      const out = await s.run({ input: tensor('float32', planar, [1, 3, info.height, info.width]) });
      return out[s.outputNames[0]].data as Float32Array;
    };
    const [a, b] = [await run(fp32), await run(fp16)];
    let se = 0;
    let maxAbs = 0;
    for (let i = 0; i < a.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
      const d = Math.round(Math.min(1, Math.max(0, a[i])) * 255) - Math.round(Math.min(1, Math.max(0, b[i])) * 255);
      se += d * d;
    }
    const psnr = 10 * Math.log10((255 * 255) / Math.max(se / a.length, 1e-12));
    console.log(`x4fast fp16 vs fp32: max |diff| ${maxAbs.toExponential(2)}, PSNR ${se === 0 ? 'inf (identical bytes)' : `${psnr.toFixed(1)} dB`} over ${a.length} values`);
    expect(psnr).toBeGreaterThanOrEqual(40);
  });
});
