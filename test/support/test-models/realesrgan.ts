/**
 * A tiny stand-in for Real-ESRGAN x4 with the real signature: `input` f32 [N,3,H,W] in [0,1] ->
 * `output` f32 [N,3,4H,4W]. Linear x4 resize plus a 3x3 channel-mixing conv residual, so every
 * output pixel depends on all three input channels and on its 3x3 neighbourhood.
 */
import { DT, GraphBuilder } from '../../../src/models/convert/onnx-graph.js';
import { randomFloats, seededRandom } from '../random-weights.js';

export function buildRealEsrganTest(): Uint8Array {
  const g = new GraphBuilder('realesrgan_x4_test');
  const rand = seededRandom(4);
  const x = g.input('input', DT.FLOAT, ['batch_size', 3, 'height', 'width']);
  const scales = g.floats([1, 1, 4, 4], [4]);
  const up = g.op('Resize', [x, '', scales], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' });
  const w = g.floats(randomFloats(rand, 3 * 3 * 3 * 3, 0.01), [3, 3, 3, 3]);
  const b = g.floats([0, 0, 0], [3]);
  const detail = g.op('Conv', [x, w, b], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  const detailUp = g.op('Resize', [detail, '', scales], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
  g.op('Add', [up, detailUp], {}, 'output');
  g.output('output', DT.FLOAT, ['batch_size', 3, 'height_x4', 'width_x4']);
  return g.encode();
}
