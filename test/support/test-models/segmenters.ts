/**
 * Tiny stand-ins for the downloadable background-removal models, with their real signatures:
 * U²-Net `input.1` f32 [1,3,320,320] -> `1959` f32 [1,1,320,320] (a saliency map), and BiRefNet
 * `input_image` f32 [1,3,1024,1024] -> `output_image` f32 [1,1,1024,1024] (logits). Each is a
 * 1×1 convolution mixing the three normalised channels (darker reads as foreground), so the
 * pre/post-processing paths run end to end offline.
 */
import { DT, GraphBuilder } from '../../../src/models/convert/onnx-graph.js';

function mixer(name: string, input: string, output: string, size: number): Uint8Array {
  const g = new GraphBuilder(name);
  const x = g.input(input, DT.FLOAT, [1, 3, size, size]);
  const w = g.floats([-1.5, -2, -1], [1, 3, 1, 1]);
  const b = g.floats([0.5], [1]);
  g.op('Conv', [x, w, b], { kernel_shape: [1, 1] }, output);
  g.output(output, DT.FLOAT, [1, 1, size, size]);
  return g.encode();
}

export const buildU2netTest = (): Uint8Array => mixer('u2net_test', 'input.1', '1959', 320);
export const buildBirefnetTest = (): Uint8Array => mixer('birefnet_test', 'input_image', 'output_image', 1024);
