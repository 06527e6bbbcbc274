/**
 * The tfjs -> ONNX converter's edges: weight shards and quantisation (float16 exact, uint8 /
 * uint16 affine, shard boundaries inside a weight), the signature it keeps (NHWC, a named
 * dynamic batch, renames), and the errors for what it cannot convert.
 */
import { describe, expect, it } from 'vitest';
import { tfjsToOnnx } from '../../src/models/convert/tfjs/index.js';
import * as ref from './tfjs-reference.js';
import { attr, convertTiny, runOnnx, TinyTfjs } from './tfjs-support.js';

const { nd, maxAbsDiff } = ref;
const wave = (seed: number) => (i: number) => Math.sin(i * 0.7 + seed) * Math.cos(i * 0.13 + seed * 2);
const NHWC = { data_format: attr.s('NHWC') };

describe('tfjs converter: weights, signature and errors', () => {
  const x = nd([1, 4, 4, 2], wave(11));

  it('dequantises float16 exactly and uint8 / uint16 affine to within one quantisation step, across shards', async () => {
    const w = nd([1, 1, 2, 3], (i) => (i - 2.5) / 8); // exact in half precision
    for (const [quant, tol] of [['float16', 1e-6], ['uint8', 2 * (5 / 8 / 255)], ['uint16', 2 * (5 / 8 / 65535)]] as const) {
      const b = new TinyTfjs();
      b.node('y', 'Conv2D', [b.placeholder('x', [1, 4, 4, 2]), b.constant('w', w, quant)], { ...NHWC, strides: attr.ints([1, 1, 1, 1]), padding: attr.s('VALID') });
      const conv = convertTiny(b, { y: ['y', [1, 4, 4, 3]] }, {}, 3);
      const y = (await runOnnx(conv, { x }))['y'];
      expect(maxAbsDiff(y.data, ref.conv2d(x, w, [1, 1], [1, 1], 'VALID').data), quant).toBeLessThanOrEqual(tol);
    }
  });

  it('keeps the tfjs signature: NHWC in and out, -1 as a named dynamic batch, names renamed on request', async () => {
    const b = new TinyTfjs();
    b.node('y', 'Relu', [b.placeholder('input_1', [-1, 4, 4, 2])]);
    const conv = convertTiny(b, { 'out:0': ['y', [-1, 4, 4, 2]] }, { rename: { input_1: 'image' } });
    expect(conv.inputs).toEqual([{ name: 'image', dtype: 'float32', dims: ['batch', 4, 4, 2] }]);
    expect(conv.outputs).toEqual([{ name: 'out', dtype: 'float32', dims: ['batch', 4, 4, 2] }]);
    const two = nd([3, 4, 4, 2], wave(12));
    const y = (await runOnnx(conv, { image: two }))['out'];
    expect(y.shape).toEqual([3, 4, 4, 2]);
    expect(maxAbsDiff(y.data, ref.map(two, (v) => Math.max(v, 0)).data)).toBe(0);
  });

  it('refuses what it cannot convert with an error that names the op or the field', () => {
    const unsupported = new TinyTfjs();
    unsupported.node('y', 'Cumsum', [unsupported.placeholder('x', [1, 4])]);
    expect(() => convertTiny(unsupported, { y: ['y', [1, 4]] })).toThrow(/tfjs op "Cumsum" \(node "y"\) is not supported; supported ops: .*Conv2D/);

    const nchw = new TinyTfjs();
    nchw.node('y', 'Conv2D', [nchw.placeholder('x', [1, 2, 4, 4]), nchw.constant('w', nd([1, 1, 2, 2], () => 1))], {
      data_format: attr.s('NCHW'), strides: attr.ints([1, 1, 1, 1]), padding: attr.s('SAME'),
    });
    expect(() => convertTiny(nchw, { y: ['y', [1, 2, 4, 4]] })).toThrow(/data_format NCHW/);

    const dynamicFilter = new TinyTfjs();
    dynamicFilter.placeholder('x', [1, 4, 4, 2]);
    dynamicFilter.node('f', 'Relu', [dynamicFilter.constant('w', nd([1, 1, 2, 2], () => 1))]);
    dynamicFilter.node('y', 'Conv2D', ['x', 'f'], { ...NHWC, strides: attr.ints([1, 1, 1, 1]), padding: attr.s('SAME') });
    expect(() => convertTiny(dynamicFilter, { y: ['y', [1, 4, 4, 2]] })).toThrow(/the filter must be a constant/);

    const short = new TinyTfjs();
    short.node('y', 'Relu', [short.placeholder('x', [1, 4])]);
    const { json, files } = short.build({ y: ['y', [1, 4]] });
    (json.weightsManifest as { weights: unknown[] }[])[0].weights.push({ name: 'ghost', shape: [4], dtype: 'float32' });
    expect(() => tfjsFromParts(json, files)).toThrow(/weight "ghost" needs bytes 0\.\.16/);
    const unsigned = short.build({ y: ['y', [1, 4]] });
    delete (unsigned.json as { signature?: unknown }).signature;
    expect(() => tfjsFromParts(unsigned.json, unsigned.files)).toThrow(/no signature outputs/);
  });
});

function tfjsFromParts(json: unknown, files: Map<string, Uint8Array>) {
  return tfjsToOnnx(json, (p) => files.get(p) as Uint8Array);
}
