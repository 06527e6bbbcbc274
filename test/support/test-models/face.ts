/**
 * InsightFace-style test models with the real signatures (MODELS.md §4): ArcFace w600k_r50
 * (`input.1` [N,3,112,112] -> `683` [N,512]), inswapper_128 (`target` [1,3,128,128] + `source`
 * [1,512] -> `output` [1,3,128,128], 512x512 `emap` as the last initializer) and SCRFD det_10g
 * (`input.1` [1,3,H,W] -> scores/boxes/keypoints for strides 8, 16, 32).
 */
import { DT, GraphBuilder } from '../../../src/models/convert/onnx-graph.js';
import { randomFloats, seededRandom } from '../random-weights.js';

export function buildArcFaceTest(): Uint8Array {
  const g = new GraphBuilder('arcface_test');
  const rand = seededRandom(11);
  const x = g.input('input.1', DT.FLOAT, ['None', 3, 112, 112]);
  const pooled = g.op('AveragePool', [x], { kernel_shape: [4, 4], strides: [4, 4] });
  const conv = g.op('Conv', [pooled, g.floats(randomFloats(rand, 4 * 3 * 9, 0.3), [4, 3, 3, 3]), g.floats([0.1, -0.1, 0.05, 0], [4])], {
    kernel_shape: [3, 3],
    strides: [2, 2],
    pads: [1, 1, 1, 1],
  });
  const act = g.op('PRelu', [conv, g.floats([0.25, 0.25, 0.25, 0.25], [4, 1, 1])]);
  const flat = g.op('Flatten', [act], { axis: 1 });
  // Every embedding element sees every pooled pixel: a dense layer over the whole face.
  g.op('MatMul', [flat, g.floats(randomFloats(rand, 784 * 512, 1 / Math.sqrt(784)), [784, 512])], {}, '683');
  g.output('683', DT.FLOAT, ['None', 512]);
  return g.encode();
}

export function buildInswapperTest(): Uint8Array {
  const g = new GraphBuilder('inswapper_test');
  const rand = seededRandom(12);
  const target = g.input('target', DT.FLOAT, [1, 3, 128, 128]);
  const source = g.input('source', DT.FLOAT, [1, 512]);
  const style = g.op('Reshape', [g.op('MatMul', [source, g.floats(randomFloats(rand, 512 * 3, 1), [512, 3])]), g.int64s([1, 3, 1, 1])]);
  const local = g.op('Conv', [target, g.floats(randomFloats(rand, 3 * 3 * 9, 0.3), [3, 3, 3, 3]), g.floats([0, 0, 0], [3])], {
    kernel_shape: [3, 3],
    pads: [1, 1, 1, 1],
  });
  // 0.8·target + 0.1 + 0.1·tanh(...) stays inside [0, 1] for targets in [0, 1].
  const base = g.op('Add', [g.op('Mul', [target, g.floats([0.8], [])]), g.floats([0.1], [])]);
  const change = g.op('Mul', [g.op('Tanh', [g.op('Add', [local, style])]), g.floats([0.1], [])]);
  g.op('Add', [base, change], {}, 'output');
  g.output('output', DT.FLOAT, [1, 3, 128, 128]);
  // insightface reads emap as graph.initializer[-1]: it must be the last initializer written.
  const emap = randomFloats(rand, 512 * 512, 1 / Math.sqrt(512));
  for (let i = 0; i < 512; i++) emap[i * 512 + i] += 1;
  g.init('emap', emap, [512, 512]);
  return g.encode();
}

/** det_10g's output names, in its order: scores 8/16/32, boxes 8/16/32, keypoints 8/16/32. */
export const SCRFD_OUTPUTS = ['448', '471', '494', '451', '474', '497', '454', '477', '500'] as const;
const STRIDES = [8, 16, 32] as const;
const ANCHORS = 2;

export function buildScrfdTest(): Uint8Array {
  const g = new GraphBuilder('scrfd_test');
  const rand = seededRandom(13);
  const x = g.input('input.1', DT.FLOAT, [1, 3, '?', '?']);
  const heads: { width: number; act: (v: string) => string }[] = [
    { width: 1, act: (v) => g.op('Sigmoid', [g.op('Add', [v, g.floats([-2], [])])]) },
    { width: 4, act: (v) => g.op('Mul', [g.op('Sigmoid', [v]), g.floats([3], [])]) },
    { width: 10, act: (v) => g.op('Mul', [g.op('Tanh', [v]), g.floats([2], [])]) },
  ];
  heads.forEach((head, h) => {
    STRIDES.forEach((s, i) => {
      const channels = ANCHORS * head.width;
      const w = randomFloats(rand, channels * 3 * s * s, 2 / Math.sqrt(3 * s * s));
      const conv = g.op('Conv', [x, g.floats(w, [channels, 3, s, s]), g.floats(new Float32Array(channels), [channels])], {
        kernel_shape: [s, s],
        strides: [s, s],
      });
      // [1, A·k, H/s, W/s] -> rows in (y, x, anchor) order, as SCRFD's decoder expects.
      const rows = g.op('Reshape', [g.op('Transpose', [conv], { perm: [0, 2, 3, 1] }), g.int64s([-1, head.width])]);
      const name = SCRFD_OUTPUTS[h * 3 + i];
      g.op('Identity', [head.act(rows)], {}, name);
      g.output(name, DT.FLOAT, [`rows_${s}`, head.width]);
    });
  });
  return g.encode();
}
