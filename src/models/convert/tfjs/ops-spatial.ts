/**
 * Pooling and resizing on NCHW feature maps: MaxPool, AvgPool (ONNX's default
 * count_include_pad = 0 matches TensorFlow, which averages only the pixels inside the image) and
 * ResizeBilinear (its two flags map onto ONNX coordinate modes).
 */
import { value } from './graph-context.js';
import { attrBool, TfjsConvertError } from './model-json.js';
import { paddingAttrs, spatial } from './ops-conv.js';
import type { OpHandler } from './ops-elementwise.js';

function pool(onnxOp: 'MaxPool' | 'AveragePool'): OpHandler {
  return ({ node, ins, gr }) => {
    const y = gr.op(onnxOp, [gr.asNchw(ins[0], node)], {
      kernel_shape: spatial(node, 'ksize'),
      strides: spatial(node, 'strides'),
      ...paddingAttrs(node),
    });
    return value(y, 'nchw', 4);
  };
}

/**
 * TensorFlow: half_pixel_centers samples at (out + 0.5) * in/out - 0.5 (ONNX "half_pixel", not
 * "pytorch_half_pixel", which differs for a 1-pixel output); align_corners maps corner to corner;
 * neither is the legacy out * in/out ("asymmetric").
 */
const resizeBilinear: OpHandler = ({ node, ins, gr }) => {
  const size = gr.constant(ins[1], node, 'the output size').tensor;
  if (size.data.length !== 2) throw new TfjsConvertError(`node "${node.name}" (${node.op}) has a size of ${size.data.length} values; expected [height, width]`);
  const alignCorners = attrBool(node, 'align_corners', false);
  const halfPixel = attrBool(node, 'half_pixel_centers', false);
  if (alignCorners && halfPixel) throw new TfjsConvertError(`node "${node.name}" (${node.op}) sets both align_corners and half_pixel_centers`);
  const mode = alignCorners ? 'align_corners' : halfPixel ? 'half_pixel' : 'asymmetric';
  const x = gr.asNchw(ins[0], node);
  // Sizes for all four axes: [N, C] of the input, then [H, W]. (Opset 18's `axes` would avoid
  // the Shape/Slice, but onnxruntime 1.30's transpose optimiser breaks a Resize with `axes`
  // next to a Transpose: "Number of elements of input 'sizes' (0)...".) Scales are no option:
  // ONNX floors in * scale, so 7 * (11 / 7) could give 10.
  const batchAndChannels = gr.op('Slice', [gr.op('Shape', [x]), gr.int64s([0]), gr.int64s([2])]);
  const sizes = gr.op('Concat', [batchAndChannels, gr.int64s([size.data[0], size.data[1]])], { axis: 0 });
  const y = gr.op('Resize', [x, '', '', sizes], { mode: 'linear', coordinate_transformation_mode: mode });
  return value(y, 'nchw', 4);
};

export const SPATIAL_OPS: Record<string, OpHandler> = {
  MaxPool: pool('MaxPool'),
  AvgPool: pool('AveragePool'),
  ResizeBilinear: resizeBilinear,
};
