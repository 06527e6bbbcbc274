/**
 * Convolutions: Conv2D, DepthwiseConv2dNative (a grouped Conv, one group per input channel),
 * their tfjs fused forms (+ BiasAdd + activation) and Conv2DBackpropInput (a transposed
 * convolution). Weights are rearranged from TensorFlow's [kh, kw, in, out] to ONNX's
 * [out, in/group, kh, kw] at conversion time; feature maps stay NCHW (see graph-context).
 */
import type { AttrValue } from '../onnx-graph.js';
import { value, type Constant } from './graph-context.js';
import { attrInts, attrString, attrStrings, TfjsConvertError, type TfNode } from './model-json.js';
import { activation, type OpArgs, type OpHandler } from './ops-elementwise.js';
import { permuteConst, type ConstTensor } from './weights.js';

function checkNhwc(node: TfNode): void {
  const format = attrString(node, 'data_format', 'NHWC');
  if (format !== 'NHWC') throw new TfjsConvertError(`node "${node.name}" (${node.op}) uses data_format ${format}; only NHWC is supported`);
}

/** TensorFlow padding -> ONNX: SAME puts the odd pixel at the end, which is ONNX's SAME_UPPER. */
export function paddingAttrs(node: TfNode): Record<string, AttrValue> {
  const padding = attrString(node, 'padding');
  if (padding === 'SAME') return { auto_pad: 'SAME_UPPER' };
  if (padding === 'VALID') return { auto_pad: 'VALID' };
  if (padding === 'EXPLICIT') {
    const e = attrInts(node, 'explicit_paddings'); // [n0, n1, h0, h1, w0, w1, c0, c1]
    return { pads: [e[2], e[4], e[3], e[5]] };
  }
  throw new TfjsConvertError(`node "${node.name}" (${node.op}) has padding "${padding}"; expected SAME, VALID or EXPLICIT`);
}

/** [1, h, w, 1] attribute lists (strides, dilations, ksize) -> [h, w]. */
export function spatial(node: TfNode, key: string, fallback?: number[]): number[] {
  const v = attrInts(node, key, fallback);
  if (v.length !== 4 || v[0] !== 1 || v[3] !== 1) throw new TfjsConvertError(`node "${node.name}" (${node.op}) has ${key} [${v}]; only spatial values ([1,h,w,1]) are supported`);
  return [v[1], v[2]];
}

function filterOf(a: OpArgs, index: number): Constant {
  const f = a.gr.constant(a.ins[index], a.node, 'the filter');
  if (f.tensor.shape.length !== 4) throw new TfjsConvertError(`node "${a.node.name}" (${a.node.op}) has a filter of shape [${f.tensor.shape}]; expected 4-D`);
  return f;
}

/** [kh, kw, C, M] depthwise filter -> [C*M, 1, kh, kw] (output channel c*M + m, as TensorFlow orders them). */
function depthwiseWeights(t: ConstTensor): ConstTensor {
  const [kh, kw, c, m] = t.shape;
  const p = permuteConst(t, [2, 3, 0, 1]);
  return { ...p, shape: [c * m, 1, kh, kw] };
}

function convolution(depthwise: boolean, fused: boolean): OpHandler {
  return (a) => {
    const { node, ins, gr } = a;
    checkNhwc(node);
    const filter = filterOf(a, 1);
    const inC = filter.tensor.shape[2];
    const w = depthwise ? gr.init(filter, 'dw', depthwiseWeights) : gr.init(filter, 'oihw', (t) => permuteConst(t, [3, 2, 0, 1]));
    const inputs = [gr.asNchw(ins[0], node), w];
    const ops = fused ? attrStrings(node, 'fused_ops') : [];
    let arg = 2;
    if (ops[0] === 'BiasAdd') {
      inputs.push(gr.init(gr.constant(ins[arg++], node, 'the bias')));
      ops.shift();
    }
    const attrs: Record<string, AttrValue> = {
      kernel_shape: filter.tensor.shape.slice(0, 2),
      strides: spatial(node, 'strides'),
      dilations: spatial(node, 'dilations', [1, 1, 1, 1]),
      ...paddingAttrs(node),
    };
    if (depthwise) attrs.group = inC;
    let y = gr.op('Conv', inputs, attrs);
    if (ops.length > 1) throw new TfjsConvertError(`node "${node.name}" (${node.op}) fuses [${attrStrings(node, 'fused_ops')}]; only BiasAdd followed by one activation is supported`);
    if (ops.length === 1) {
      if (ops[0] === 'Prelu' && !ins[arg]) throw new TfjsConvertError(`node "${node.name}" (${node.op}) fuses Prelu but has no alpha input`);
      const alpha = ops[0] === 'Prelu' ? gr.asNchwBroadcast(ins[arg], node) : undefined;
      y = activation(gr, node, ops[0], y, alpha);
    }
    return value(y, 'nchw', 4);
  };
}

/**
 * Conv2DBackpropInput(input_sizes, filter [kh, kw, out, in], x): the gradient of a convolution,
 * i.e. ONNX ConvTranspose with weights [in, out, kh, kw]. The output size is given, so ONNX
 * derives the padding; with SAME_UPPER it crops floor(total/2) at the start, as TensorFlow does.
 */
const convTranspose: OpHandler = (a) => {
  const { node, ins, gr } = a;
  checkNhwc(node);
  const sizes = gr.constant(ins[0], node, 'input_sizes').tensor;
  if (sizes.shape.length !== 1 || sizes.data.length !== 4) throw new TfjsConvertError(`node "${node.name}" (${node.op}) has input_sizes of shape [${sizes.shape}]; expected [4]`);
  const filter = filterOf(a, 1);
  const padding = attrString(node, 'padding');
  if (padding !== 'SAME') throw new TfjsConvertError(`node "${node.name}" (${node.op}) has padding ${padding}; only SAME is supported for transposed convolutions`);
  const y = gr.op('ConvTranspose', [gr.asNchw(ins[2], node), gr.init(filter, 'iohw', (t) => permuteConst(t, [3, 2, 0, 1]))], {
    kernel_shape: filter.tensor.shape.slice(0, 2),
    strides: spatial(node, 'strides'),
    dilations: spatial(node, 'dilations', [1, 1, 1, 1]),
    output_shape: [sizes.data[1], sizes.data[2]],
    auto_pad: 'SAME_UPPER',
  });
  return value(y, 'nchw', 4);
};

export const CONV_OPS: Record<string, OpHandler> = {
  Conv2D: convolution(false, false),
  _FusedConv2D: convolution(false, true),
  DepthwiseConv2dNative: convolution(true, false),
  _FusedDepthwiseConv2dNative: convolution(true, true),
  Conv2DBackpropInput: convTranspose,
};
