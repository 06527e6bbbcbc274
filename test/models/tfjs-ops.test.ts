/**
 * The tfjs -> ONNX converter, one op kind at a time: tiny hand-made tfjs graphs converted and run
 * in onnxruntime, compared with hand computations of TensorFlow's semantics on NHWC arrays
 * (tfjs-reference.ts). Shapes are odd on purpose (7x6 images, stride 2) so that SAME padding's
 * extra pixel, pooling at the border and non-integer resize factors are all exercised.
 */
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/models/convert/onnx-read.js';
import * as ref from './tfjs-reference.js';
import { attr, convertAndRun, convertTiny, TinyTfjs } from './tfjs-support.js';

const { nd, maxAbsDiff } = ref;
/** Deterministic, non-symmetric values in [-1, 1]. */
const wave = (seed: number) => (i: number) => Math.sin(i * 0.7 + seed) * Math.cos(i * 0.13 + seed * 2);
const NHWC = { data_format: attr.s('NHWC') };

function convNode(b: TinyTfjs, op: string, inputs: string[], strides: number[], padding: string, extra: Record<string, ReturnType<typeof attr.s>> = {}) {
  return b.node('y', op, inputs, { ...NHWC, strides: attr.ints([1, ...strides, 1]), padding: attr.s(padding), ...extra });
}

describe('tfjs converter: convolutions', () => {
  const x = nd([1, 7, 6, 3], wave(1));
  const filter = nd([3, 3, 3, 4], wave(2));

  it('Conv2D SAME with stride 2 puts the odd padding pixel at the end, as TensorFlow does', async () => {
    const b = new TinyTfjs();
    convNode(b, 'Conv2D', [b.placeholder('x', [1, 7, 6, 3]), b.constant('w', filter)], [2, 2], 'SAME');
    const y = await convertAndRun(b, x, ['y', [1, 4, 3, 4]]);
    const want = ref.conv2d(x, filter, [2, 2], [1, 1], 'SAME');
    expect(y.shape).toEqual([1, 4, 3, 4]);
    expect(maxAbsDiff(y.data, want.data)).toBeLessThan(1e-5);
  });

  it('Conv2D VALID with dilation 2, and EXPLICIT padding', async () => {
    const b1 = new TinyTfjs();
    convNode(b1, 'Conv2D', [b1.placeholder('x', [1, 7, 6, 3]), b1.constant('w', filter)], [1, 1], 'VALID', { dilations: attr.ints([1, 2, 2, 1]) });
    const y1 = await convertAndRun(b1, x, ['y', [1, 3, 2, 4]]);
    expect(maxAbsDiff(y1.data, ref.conv2d(x, filter, [1, 1], [2, 2], 'VALID').data)).toBeLessThan(1e-5);

    const b2 = new TinyTfjs();
    convNode(b2, 'Conv2D', [b2.placeholder('x', [1, 7, 6, 3]), b2.constant('w', filter)], [1, 1], 'EXPLICIT', { explicit_paddings: attr.ints([0, 0, 2, 0, 1, 3, 0, 0]) });
    const want = ref.conv2d(x, filter, [1, 1], [1, 1], { top: 2, bottom: 0, left: 1, right: 3 });
    const y2 = await convertAndRun(b2, x, ['y', want.shape]);
    expect(y2.shape).toEqual(want.shape);
    expect(maxAbsDiff(y2.data, want.data)).toBeLessThan(1e-5);
  });

  it('DepthwiseConv2dNative with a channel multiplier of 2 orders outputs c*M+m', async () => {
    const dw = nd([3, 3, 3, 2], wave(3));
    const b = new TinyTfjs();
    convNode(b, 'DepthwiseConv2dNative', [b.placeholder('x', [1, 7, 6, 3]), b.constant('w', dw)], [2, 2], 'SAME');
    const y = await convertAndRun(b, x, ['y', [1, 4, 3, 6]]);
    expect(maxAbsDiff(y.data, ref.conv2d(x, dw, [2, 2], [1, 1], 'SAME', true).data)).toBeLessThan(1e-5);
  });

  it('_FusedConv2D BiasAdd+Prelu uses the stored alpha as the slope (".../Neg" constants are not negated)', async () => {
    const bias = nd([4], (i) => 0.1 * i - 0.2);
    const alpha = nd([1, 1, 4], (i) => 0.05 + 0.1 * i); // positive: a negation would flip every negative output
    const b = new TinyTfjs();
    b.node('y', '_FusedConv2D', [b.placeholder('x', [1, 7, 6, 3]), b.constant('w', filter), b.constant('bias', bias), b.constant('p_re_lu_1/Neg', alpha)], {
      ...NHWC, strides: attr.ints([1, 1, 1, 1]), padding: attr.s('SAME'), fused_ops: attr.strs(['BiasAdd', 'Prelu']), num_args: { i: '2' },
    });
    const y = await convertAndRun(b, x, ['y', [1, 7, 6, 4]]);
    const pre = ref.broadcast(ref.conv2d(x, filter, [1, 1], [1, 1], 'SAME'), bias, (a, c) => a + c);
    const want = ref.broadcast(pre, alpha, (v, a) => (v > 0 ? v : a * v));
    expect(want.data.some((v) => v < 0)).toBe(true);
    expect(maxAbsDiff(y.data, want.data)).toBeLessThan(1e-5);
  });

  it('_FusedConv2D BiasAdd+Relu6 and _FusedDepthwiseConv2dNative BiasAdd+Relu', async () => {
    const bias = nd([4], (i) => [-8, -0.5, 0.5, 8][i]); // pushes channels into both clipped ends
    const b = new TinyTfjs();
    b.node('y', '_FusedConv2D', [b.placeholder('x', [1, 7, 6, 3]), b.constant('w', nd([3, 3, 3, 4], (i) => 3 * wave(4)(i))), b.constant('bias', bias)], {
      ...NHWC, strides: attr.ints([1, 1, 1, 1]), padding: attr.s('VALID'), fused_ops: attr.strs(['BiasAdd', 'Relu6']), num_args: { i: '1' },
    });
    const y = await convertAndRun(b, x, ['y', [1, 5, 4, 4]]);
    const pre = ref.broadcast(ref.conv2d(x, nd([3, 3, 3, 4], (i) => 3 * wave(4)(i)), [1, 1], [1, 1], 'VALID'), bias, (a, c) => a + c);
    const want = ref.map(pre, (v) => Math.min(Math.max(v, 0), 6));
    expect(want.data.some((v) => v === 6) && want.data.some((v) => v === 0)).toBe(true);
    expect(maxAbsDiff(y.data, want.data)).toBeLessThan(1e-5);

    const dw = nd([3, 3, 3, 1], wave(5));
    const b2 = new TinyTfjs();
    b2.node('y', '_FusedDepthwiseConv2dNative', [b2.placeholder('x', [1, 7, 6, 3]), b2.constant('w', dw), b2.constant('bias', nd([3], (i) => i * 0.1))], {
      ...NHWC, strides: attr.ints([1, 2, 2, 1]), padding: attr.s('SAME'), fused_ops: attr.strs(['BiasAdd', 'Relu']), num_args: { i: '1' },
    });
    const y2 = await convertAndRun(b2, x, ['y', [1, 4, 3, 3]]);
    const want2 = ref.map(ref.broadcast(ref.conv2d(x, dw, [2, 2], [1, 1], 'SAME', true), nd([3], (i) => i * 0.1), (a, c) => a + c), (v) => Math.max(v, 0));
    expect(maxAbsDiff(y2.data, want2.data)).toBeLessThan(1e-5);
  });

  it('Conv2DBackpropInput (SAME) with a 3x3 kernel crops like TensorFlow, and a 2x2 kernel exactly doubles', async () => {
    for (const [k, out] of [[3, [7, 6]], [2, [8, 6]]] as const) {
      const small = nd([1, 4, 3, 5], wave(6));
      const f = nd([k, k, 2, 5], wave(7)); // [kh, kw, out channels, in channels]
      const b = new TinyTfjs();
      b.node('y', 'Conv2DBackpropInput', [b.constant('sizes', { shape: [4], data: Int32Array.from([1, out[0], out[1], 2]) }), b.constant('w', f), b.placeholder('x', [1, 4, 3, 5])], {
        ...NHWC, strides: attr.ints([1, 2, 2, 1]), padding: attr.s('SAME'),
      });
      const y = await convertAndRun(b, small, ['y', [1, out[0], out[1], 2]]);
      const want = ref.conv2dBackpropInput(small, f, [out[0], out[1]], [2, 2]);
      expect(y.shape).toEqual([1, out[0], out[1], 2]);
      expect(maxAbsDiff(y.data, want.data)).toBeLessThan(1e-5);
    }
  });
});

describe('tfjs converter: pooling and resizing', () => {
  const x = nd([1, 7, 6, 2], wave(8));

  it('MaxPool and AvgPool, SAME (the average excludes the padding) and VALID', async () => {
    for (const [op, kind] of [['MaxPool', 'max'], ['AvgPool', 'avg']] as const) {
      for (const padding of ['SAME', 'VALID'] as const) {
        const b = new TinyTfjs();
        b.node('y', op, [b.placeholder('x', [1, 7, 6, 2])], { ...NHWC, ksize: attr.ints([1, 3, 3, 1]), strides: attr.ints([1, 2, 2, 1]), padding: attr.s(padding) });
        const want = ref.pool(x, [3, 3], [2, 2], padding, kind);
        const y = await convertAndRun(b, x, ['y', want.shape]);
        expect(y.shape, `${op} ${padding}`).toEqual(want.shape);
        expect(maxAbsDiff(y.data, want.data), `${op} ${padding}`).toBeLessThan(1e-6);
      }
    }
  });

  it('ResizeBilinear: half_pixel_centers, align_corners and the legacy mode, up and down', async () => {
    const modes = [{ align: false, half: true }, { align: true, half: false }, { align: false, half: false }];
    for (const m of modes) {
      for (const [oh, ow] of [[11, 9], [4, 3]]) {
        const b = new TinyTfjs();
        b.node('y', 'ResizeBilinear', [b.placeholder('x', [1, 7, 6, 2]), b.constant('size', { shape: [2], data: Int32Array.from([oh, ow]) })], {
          align_corners: attr.b(m.align), half_pixel_centers: attr.b(m.half),
        });
        const y = await convertAndRun(b, x, ['y', [1, oh, ow, 2]]);
        const want = ref.resizeBilinear(x, oh, ow, m.align, m.half);
        expect(maxAbsDiff(y.data, want.data), JSON.stringify({ ...m, oh, ow })).toBeLessThan(1e-5);
      }
    }
  });
});

describe('tfjs converter: elementwise ops and activations', () => {
  const x = nd([1, 5, 4, 3], wave(9));
  const conv1x1 = nd([1, 1, 3, 3], (i) => (i % 4 === 0 ? 1 : 0)); // identity: makes the value NCHW inside
  const binaries: [string, (a: number, b: number) => number][] = [
    ['Add', (a, b) => a + b], ['AddV2', (a, b) => a + b], ['BiasAdd', (a, b) => a + b], ['Sub', (a, b) => a - b],
    ['Mul', (a, b) => a * b], ['RealDiv', (a, b) => a / b], ['Maximum', Math.max], ['Minimum', Math.min],
  ];

  it('binary ops broadcast scalars, [C] and [1,1,C] constants against NCHW feature maps along channels', async () => {
    const consts = [nd([], () => 1.5), nd([3], (i) => i + 0.5), nd([1, 1, 3], (i) => 2.5 - i)];
    for (const [op, f] of binaries) {
      for (const c of consts) {
        if (op === 'BiasAdd' && c.shape.length !== 1) continue;
        const b = new TinyTfjs();
        b.node('fm', 'Conv2D', [b.placeholder('x', [1, 5, 4, 3]), b.constant('eye', conv1x1)], { ...NHWC, strides: attr.ints([1, 1, 1, 1]), padding: attr.s('SAME') });
        b.node('y', op, ['fm', b.constant('c', c)]);
        const y = await convertAndRun(b, x, ['y', [1, 5, 4, 3]]);
        expect(maxAbsDiff(y.data, ref.broadcast(x, c, f).data), `${op} [${c.shape}]`).toBeLessThan(1e-5);
      }
    }
  });

  it('binary ops on two computed values, AddN over three, and ops on the raw NHWC input', async () => {
    const b = new TinyTfjs();
    b.placeholder('x', [1, 5, 4, 3]);
    b.node('a', 'Conv2D', ['x', b.constant('eye', conv1x1)], { ...NHWC, strides: attr.ints([1, 1, 1, 1]), padding: attr.s('SAME') });
    b.node('s', 'Sigmoid', ['a']);
    b.node('m', 'Mul', ['a', 's']); // NCHW * NCHW (swish)
    b.node('raw', 'Mul', ['x', b.constant('two', nd([], () => 2))]); // still NHWC
    b.node('y', 'AddN', ['m', 'raw', 'a']); // mixes layouts: raw is transposed to NCHW
    const y = await convertAndRun(b, x, ['y', [1, 5, 4, 3]]);
    const want = ref.map(x, (v) => v / (1 + Math.exp(-v)) + 2 * v + v);
    expect(maxAbsDiff(y.data, want.data)).toBeLessThan(1e-5);
  });

  it('activations: Relu, Relu6, Sigmoid, Tanh, Elu, LeakyRelu (alpha attribute), Prelu', async () => {
    const big = ref.map(x, (v) => v * 8);
    const cases: [string, (v: number) => number, Record<string, ReturnType<typeof attr.f>>][] = [
      ['Relu', (v) => Math.max(v, 0), {}],
      ['Relu6', (v) => Math.min(Math.max(v, 0), 6), {}],
      ['Sigmoid', (v) => 1 / (1 + Math.exp(-v)), {}],
      ['Tanh', Math.tanh, {}],
      ['Elu', (v) => (v > 0 ? v : Math.exp(v) - 1), {}],
      ['LeakyRelu', (v) => (v > 0 ? v : 0.3 * v), { alpha: attr.f(0.3) }],
    ];
    for (const [op, f, attrs] of cases) {
      const b = new TinyTfjs();
      b.node('y', op, [b.placeholder('x', [1, 5, 4, 3])], attrs);
      const y = await convertAndRun(b, big, ['y', [1, 5, 4, 3]]);
      expect(maxAbsDiff(y.data, ref.map(big, f).data), op).toBeLessThan(1e-5);
    }
    const alpha = nd([1, 1, 3], (i) => [0.1, 0.5, 2][i]);
    const b = new TinyTfjs();
    b.node('y', 'Prelu', [b.placeholder('x', [1, 5, 4, 3]), b.constant('a/Neg', alpha)]);
    const y = await convertAndRun(b, x, ['y', [1, 5, 4, 3]]);
    expect(maxAbsDiff(y.data, ref.broadcast(x, alpha, (v, a) => (v > 0 ? v : a * v)).data)).toBeLessThan(1e-6);
  });
});

describe('tfjs converter: layout-sensitive ops', () => {
  const x = nd([2, 3, 4, 2], wave(10));
  const eye = nd([1, 1, 2, 2], (i) => (i % 3 === 0 ? 1 : 0));

  it('Pad on an NCHW feature map pads the right axes (channel padding as FaceMesh uses it), PadV2 with a value', async () => {
    const b = new TinyTfjs();
    b.node('fm', 'Conv2D', [b.placeholder('x', [-1, 3, 4, 2]), b.constant('eye', eye)], { ...NHWC, strides: attr.ints([1, 1, 1, 1]), padding: attr.s('SAME') });
    b.node('y', 'Pad', ['fm', b.constant('p', { shape: [4, 2], data: Int32Array.from([0, 0, 1, 0, 0, 2, 0, 3]) })]);
    const y = await convertAndRun(b, x, ['y', [-1, 4, 6, 5]]);
    const want = ref.pad(x, [[0, 0], [1, 0], [0, 2], [0, 3]]);
    expect(y.shape).toEqual([2, 4, 6, 5]);
    expect(maxAbsDiff(y.data, want.data)).toBe(0);

    const b2 = new TinyTfjs();
    b2.node('y', 'PadV2', [b2.placeholder('x', [-1, 3, 4, 2]), b2.constant('p', { shape: [4, 2], data: Int32Array.from([0, 0, 2, 1, 1, 0, 0, 0]) }), b2.constant('v', nd([], () => -7))]);
    const y2 = await convertAndRun(b2, x, ['y', [-1, 6, 5, 2]]);
    expect(maxAbsDiff(y2.data, ref.pad(x, [[0, 0], [2, 1], [1, 0], [0, 0]], -7).data)).toBe(0);
  });

  it('Reshape after a convolution flattens in NHWC order (the value goes back to TensorFlow layout first)', async () => {
    const b = new TinyTfjs();
    b.node('fm', 'Conv2D', [b.placeholder('x', [-1, 3, 4, 2]), b.constant('eye', eye)], { ...NHWC, strides: attr.ints([1, 1, 1, 1]), padding: attr.s('SAME') });
    b.node('y', 'Reshape', ['fm', b.constant('shape', { shape: [2], data: Int32Array.from([-1, 24]) })]);
    const y = await convertAndRun(b, x, ['y', [-1, 24]]);
    expect(y.shape).toEqual([2, 24]);
    expect(maxAbsDiff(y.data, x.data)).toBeLessThan(1e-6);
  });

  it('ConcatV2 of NCHW feature maps on the channel axis (3 and -1) matches concatenation in NHWC', async () => {
    for (const axis of [3, -1]) {
      const b = new TinyTfjs();
      b.placeholder('x', [-1, 3, 4, 2]);
      b.node('a', 'Conv2D', ['x', b.constant('eye', eye)], { ...NHWC, strides: attr.ints([1, 1, 1, 1]), padding: attr.s('SAME') });
      b.node('s', 'Sigmoid', ['a']);
      b.node('y', 'ConcatV2', ['a', 's', b.constant('axis', { shape: [], data: Int32Array.from([axis]) })], { N: { i: '2' } });
      const y = await convertAndRun(b, x, ['y', [-1, 3, 4, 4]]);
      const want = ref.concatLast([x, ref.map(x, (v) => 1 / (1 + Math.exp(-v)))]);
      expect(maxAbsDiff(y.data, want.data), `axis ${axis}`).toBeLessThan(1e-6);
    }
  });

  it('keeps feature maps NCHW inside: a conv chain has one transpose in and one out', () => {
    const b = new TinyTfjs();
    b.placeholder('x', [-1, 3, 4, 2]);
    b.node('a', 'Conv2D', ['x', b.constant('eye', eye)], { ...NHWC, strides: attr.ints([1, 1, 1, 1]), padding: attr.s('SAME') });
    b.node('r', 'Relu6', ['a']);
    b.node('p', 'AvgPool', ['r'], { ...NHWC, ksize: attr.ints([1, 3, 4, 1]), strides: attr.ints([1, 3, 4, 1]), padding: attr.s('VALID') });
    b.node('m', 'Mul', ['r', 'p']);
    b.node('y', 'Add', ['m', b.constant('bias', nd([2], (i) => i))]);
    const conv = convertTiny(b, { y: ['y', [-1, 3, 4, 2]] });
    const ops = (decodeModel(conv.onnx).graph?.node ?? []).map((n) => n.opType);
    expect(ops.filter((o) => o === 'Transpose')).toHaveLength(2);
    expect(ops[0]).toBe('Transpose');
  });
});

describe('tfjs converter: a classifier head (Mean, _FusedMatMul, Softmax)', () => {
  const x = nd([2, 3, 4, 2], wave(5));
  const eye = nd([1, 1, 2, 2], (i) => (i % 3 === 0 ? 1 : 0));

  it('global average pooling of an NCHW feature map, a Dense layer with BiasAdd+Relu (and transpose_b), then Softmax', async () => {
    for (const transposeB of [false, true]) {
      const b = new TinyTfjs();
      b.placeholder('x', [-1, 3, 4, 2]);
      b.node('fm', 'Conv2D', ['x', b.constant('eye', eye)], { ...NHWC, strides: attr.ints([1, 1, 1, 1]), padding: attr.s('SAME') });
      b.node('pool', 'Mean', ['fm', b.constant('axes', { shape: [2], data: Int32Array.from([1, 2]) })], { keep_dims: attr.b(false) });
      const kernel = nd([2, 5], wave(6)); // [in, out]
      const stored = transposeB ? nd([5, 2], (i) => kernel.data[(i % 2) * 5 + Math.floor(i / 2)]) : kernel;
      const bias = nd([5], wave(7));
      b.node('dense', '_FusedMatMul', ['pool', b.constant('kernel', stored), b.constant('bias', bias)],
        { fused_ops: attr.strs(['BiasAdd', 'Relu']), transpose_a: attr.b(false), transpose_b: attr.b(transposeB), num_args: { i: '1' } });
      b.node('y', 'Softmax', ['dense']);
      const y = await convertAndRun(b, x, ['y', [-1, 5]]);
      // By hand on NHWC: mean over H and W, x·W + b, relu, softmax.
      const want: number[] = [];
      for (let n = 0; n < 2; n++) {
        const pooled = [0, 1].map((c) => { let s = 0; for (let i = 0; i < 12; i++) s += x.data[n * 24 + i * 2 + c]; return s / 12; });
        const logits = [0, 1, 2, 3, 4].map((o) => Math.max(0, pooled[0] * kernel.data[o] + pooled[1] * kernel.data[5 + o] + bias.data[o]));
        const e = logits.map((v) => Math.exp(v));
        const sum = e.reduce((a, v) => a + v, 0);
        want.push(...e.map((v) => v / sum));
      }
      expect(y.shape).toEqual([2, 5]);
      expect(maxAbsDiff(y.data, want), `transpose_b ${transposeB}`).toBeLessThan(1e-6);
    }
  });

  it('Mean with keep_dims stays a 4-D map; a reduction over channels alone is refused with the node named', async () => {
    const b = new TinyTfjs();
    b.placeholder('x', [-1, 3, 4, 2]);
    b.node('fm', 'Conv2D', ['x', b.constant('eye', eye)], { ...NHWC, strides: attr.ints([1, 1, 1, 1]), padding: attr.s('SAME') });
    b.node('y', 'Mean', ['fm', b.constant('axes', { shape: [2], data: Int32Array.from([1, 2]) })], { keep_dims: attr.b(true) });
    const y = await convertAndRun(b, x, ['y', [-1, 1, 1, 2]]);
    expect(y.shape).toEqual([2, 1, 1, 2]);
    const c0 = Array.from({ length: 12 }, (_, i) => x.data[i * 2]).reduce((a, v) => a + v, 0) / 12;
    expect(Math.abs(y.data[0] - c0)).toBeLessThan(1e-6);

    const bad = new TinyTfjs();
    bad.placeholder('x', [-1, 3, 4, 2]);
    bad.node('fm', 'Conv2D', ['x', bad.constant('eye', eye)], { ...NHWC, strides: attr.ints([1, 1, 1, 1]), padding: attr.s('SAME') });
    bad.node('y', 'Mean', ['fm', bad.constant('axes', { shape: [1], data: Int32Array.from([3]) })], { keep_dims: attr.b(false) });
    expect(() => convertTiny(bad, { y: ['y', [-1, 3, 4]] })).toThrow(/node "y" \(Mean\).*only global pooling/);
  });
});
