/**
 * A tiny stand-in for MediaPipe selfie segmentation with the real signature: `image` f32
 * [1,256,256,3] RGB in 0–1 (NHWC) -> `mask` f32 [1,256,256,1] in 0–1. The mask is a sigmoid of
 * a fixed colour mix (darker pixels read as "person"), so it depends on every input channel and
 * has both high and low values on a real photo.
 */
import { DT, GraphBuilder } from '../../../src/models/convert/onnx-graph.js';

export function buildSelfieTest(): Uint8Array {
  const g = new GraphBuilder('selfie_segmentation_test');
  const x = g.input('image', DT.FLOAT, [1, 256, 256, 3]);
  const w = g.floats([-4, -5, -3], [3, 1]);
  const b = g.floats([6], [1]);
  const mixed = g.op('MatMul', [x, w]);
  const shifted = g.op('Add', [mixed, b]);
  g.op('Sigmoid', [shifted], {}, 'mask');
  g.output('mask', DT.FLOAT, [1, 256, 256, 1]);
  return g.encode();
}
