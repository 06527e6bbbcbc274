/**
 * The int8 quantizer's parts: per-channel weights, int32 bias, bias correction, uint8 activation
 * parameters, and QDQ insertion run through ONNX Runtime on a small real graph (Conv → Relu →
 * Conv → Add), where the outcome is the float graph's output within a few quantization steps and
 * ORT's fused QLinearConv / QLinearAdd in the optimized graph.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { DT, GraphBuilder } from '../../src/models/convert/onnx-graph.js';
import { decodeModel, encodeModel } from '../../src/models/convert/onnx-read.js';
import { quantileRange, uint8Params } from '../../src/models/convert/quantize/activation-range.js';
import { correctBias, quantizeBias, quantizeWeights } from '../../src/models/convert/quantize/int8-weights.js';
import { insertQdq, quantizedTensors } from '../../src/models/convert/quantize/qdq-graph.js';

const dir = mkdtempSync(join(tmpdir(), 'backserv-quantize-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A deterministic pseudo-random sequence in [-1, 1). */
function noise(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

describe('int8 weights', () => {
  it('scales each output channel by its own max |w| / 127 and rounds; an all-zero channel keeps scale 1', () => {
    const w = Float32Array.from([0.5, -1, 0.25, 0, 0, 0, 2, 1, -0.5]);
    const q = quantizeWeights(w, 3);
    expect(Array.from(q.scales)).toEqual([1 / 127, 1, 2 / 127].map(Math.fround));
    expect(Array.from(q.values)).toEqual([64, -127, 32, 0, 0, 0, 127, 64, -32]);
  });

  it('writes the bias in input scale × weight scale units', () => {
    const b = quantizeBias(Float32Array.from([0.5, -0.25]), 0.01, Float32Array.from([0.1, 0.2]));
    expect(Array.from(b.scales)).toEqual([0.001, 0.002].map(Math.fround));
    expect(Array.from(b.values)).toEqual([500, -125]);
  });

  it('bias correction cancels the mean shift rounding puts on each output (1x1 conv, inputs with non-zero means)', () => {
    const out = 8;
    const inCh = 16;
    const w = noise(out * inCh, 7).map((v) => v * 0.3);
    const bias = new Float32Array(out);
    const q = quantizeWeights(w, out);
    const means = Array.from({ length: inCh }, (_, c) => 0.5 + c * 0.1);
    const corrected = correctBias(bias, w, q, means);
    // Mean output of the float conv vs the quantized-weight conv, on inputs equal to their means.
    const shift = (b: Float32Array) =>
      Array.from({ length: out }, (_, o) => {
        let f = 0;
        let qv = b[o];
        for (let c = 0; c < inCh; c++) {
          f += w[o * inCh + c] * means[c];
          qv += q.values[o * inCh + c] * q.scales[o] * means[c];
        }
        return Math.abs(qv - f);
      });
    const before = Math.max(...shift(bias));
    const after = Math.max(...shift(corrected));
    expect(before).toBeGreaterThan(1e-4);
    expect(after).toBeLessThan(before / 100);
  });
});

describe('uint8 activation parameters', () => {
  it('always include 0 exactly, and give zero point 0 to a range starting at 0', () => {
    expect(uint8Params(0, 2.55)).toEqual({ scale: Math.fround(0.01), zeroPoint: 0 });
    const p = uint8Params(-1, 1);
    expect([127, 128]).toContain(p.zeroPoint);
    // The 256 levels cover [-1, 1] to within one step at each end.
    expect((0 - p.zeroPoint) * p.scale).toBeLessThanOrEqual(-1 + p.scale);
    expect((255 - p.zeroPoint) * p.scale).toBeGreaterThanOrEqual(1 - p.scale);
    expect(uint8Params(0.5, 1.5).zeroPoint).toBe(0); // widened to [0, 1.5]
    expect(uint8Params(0, 0)).toEqual({ scale: 1, zeroPoint: 0 });
  });

  it('quantileRange drops the outermost values only', () => {
    const v = Float32Array.from({ length: 10001 }, (_, i) => i);
    v[0] = -1e6;
    v[10000] = 1e6;
    expect(quantileRange(v, 0.9999)).toEqual([1, 9999]);
    expect(quantileRange(v, 1)).toEqual([-1e6, 1e6]);
  });
});

describe('QDQ insertion', () => {
  // x [1,4,12,12] → Conv 3x3 (8) → Relu → Conv 3x3 (8) → Add(conv2, relu) → Conv 1x1 (3) → output
  function smallGraph(): Uint8Array {
    const g = new GraphBuilder('small');
    const x = g.input('input', DT.FLOAT, [1, 4, 12, 12]);
    const c1 = g.op('Conv', [x, g.init('w1', noise(8 * 4 * 9, 1).map((v) => v * 0.4), [8, 4, 3, 3]), g.init('b1', noise(8, 2).map((v) => v * 0.1), [8])], { pads: [1, 1, 1, 1] }, undefined, 'conv1');
    const r = g.op('Relu', [c1], {}, undefined, 'relu1');
    const c2 = g.op('Conv', [r, g.init('w2', noise(8 * 8 * 9, 3).map((v) => v * 0.2), [8, 8, 3, 3]), g.init('b2', noise(8, 4).map((v) => v * 0.1), [8])], { pads: [1, 1, 1, 1] }, undefined, 'conv2');
    const a = g.op('Add', [c2, r], {}, undefined, 'add1');
    const c3 = g.op('Conv', [a, g.init('w3', noise(3 * 8, 5).map((v) => v * 0.5), [3, 8, 1, 1])], {}, undefined, 'conv3');
    g.op('Identity', [c3], {}, 'output');
    g.output('output', DT.FLOAT, [1, 3, 12, 12]);
    return g.encode();
  }

  const nodes = new Set(['conv1', 'conv2', 'add1', 'conv3']);
  const input = noise(4 * 144, 9).map((v) => (v + 1) / 2);

  async function run(bytes: Uint8Array, extraOutputs: string[] = [], optimized?: string) {
    const m = decodeModel(bytes);
    for (const t of extraOutputs) m.graph!.output!.push({ name: t, type: { tensorType: { elemType: 1 } } });
    const s = await ort.InferenceSession.create(encodeModel(m), { graphOptimizationLevel: 'all', intraOpNumThreads: 1, logSeverityLevel: 3, ...(optimized ? { optimizedModelFilePath: optimized } : {}) });
    return s.run({ input: new ort.Tensor('float32', input, [1, 4, 12, 12]) });
  }

  it('quantizes the inputs and outputs of the chosen nodes, a Relu output instead of a Conv output read only by it', () => {
    const tensors = quantizedTensors(decodeModel(smallGraph()), nodes);
    const names = [...tensors].sort();
    // conv1's output is read only by relu1: quantized after the Relu.
    expect(names).toContain('input');
    expect(names.some((t) => t.startsWith('relu'))).toBe(true);
    expect(names.some((t) => t.startsWith('conv_1'))).toBe(false);
    expect(tensors.size).toBe(5); // input, relu, conv2 out, add out, conv3 out
  });

  it('runs in ONNX Runtime as QLinearConv / QLinearAdd and gives the float output within a few quantization steps', async () => {
    const fp32 = smallGraph();
    const model = decodeModel(fp32);
    const tensors = [...quantizedTensors(model, nodes)];
    const calib = await run(fp32, tensors.filter((t) => t !== 'input' && t !== 'output'));
    const activations = new Map(
      tensors.map((t) => {
        const data = (t === 'input' ? input : (calib[t] ?? calib.output).data) as Float32Array;
        return [t, uint8Params(Math.min(...data), Math.max(...data))] as const;
      }),
    );
    const q8 = encodeModel(insertQdq(model, { nodes, activations }));
    const optimized = join(dir, 'small-opt.onnx');
    const want = (await run(fp32)).output.data as Float32Array;
    const got = (await run(q8, [], optimized)).output.data as Float32Array;
    let maxDiff = 0;
    let spread = 0;
    for (let i = 0; i < want.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(want[i] - got[i]));
      spread = Math.max(spread, Math.abs(want[i]));
    }
    expect(spread).toBeGreaterThan(0.5);
    expect(maxDiff).toBeGreaterThan(0); // it really is quantized
    expect(maxDiff).toBeLessThan(0.05 * spread);
    const ops = decodeModel(readFileSync(optimized)).graph!.node!.map((n) => n.opType);
    expect(ops.filter((o) => o === 'QLinearConv')).toHaveLength(3);
    expect(ops.filter((o) => o === 'QLinearAdd')).toHaveLength(1);
    expect(ops).not.toContain('Conv');
    expect(ops).not.toContain('Relu'); // folded into the zero-point-0 quantization
  });

  it('refuses a calibration that does not name every quantized tensor', () => {
    const model = decodeModel(smallGraph());
    expect(() => insertQdq(model, { nodes, activations: new Map([['input', uint8Params(0, 1)]]) })).toThrow(/no calibrated range for 4 tensor\(s\).*calibration does not match this graph/);
    expect(() => insertQdq(model, { nodes: new Set(['relu1']), activations: new Map() })).toThrow(/relu1 is a Relu; only Conv and Add/);
  });
});
