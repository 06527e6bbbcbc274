/**
 * The head of a classifier or descriptor network: Mean (global pooling over a feature map),
 * _FusedMatMul (MatMul with its fused BiasAdd and activation, as tfjs's graph optimiser writes a
 * Dense layer) and Softmax. After the pooling the values are plain [N, C] matrices, the same in
 * TensorFlow's layout and ONNX's, so these ops run in TensorFlow's layout.
 */
import { NHWC_TO_NCHW, value, type Operand } from './graph-context.js';
import { attrBool, attrOf, attrStrings, TfjsConvertError } from './model-json.js';
import { activation, type OpHandler } from './ops-elementwise.js';
import { permuteConst } from './weights.js';

const rankOf = (o: Operand) => (o.kind === 'const' ? o.tensor.shape.length : o.rank);

/** Mean over constant axes (ReduceMean). On an NCHW feature map the axes follow the layout change. */
const mean: OpHandler = ({ node, ins, gr }) => {
  const x = ins[0];
  const rank = rankOf(x);
  const given = Array.from(gr.constant(ins[1], node, 'the reduction axes').tensor.data);
  if (rank === undefined && given.some((a) => a < 0)) throw new TfjsConvertError(`node "${node.name}" (${node.op}) has a negative axis on an input of unknown rank`);
  const axes = given.map((a) => (a < 0 ? a + rank! : a));
  const keep = attrBool(node, 'keep_dims', false);
  const nchw = x.kind === 'value' && x.layout === 'nchw';
  // Dropping axes of an NCHW map leaves TensorFlow's order only when the channels survive last:
  // [N,H,W,C] averaged over H and W is [N,C] in both layouts.
  if (nchw && !keep && !(axes.length === 2 && axes.includes(1) && axes.includes(2))) {
    throw new TfjsConvertError(`node "${node.name}" (${node.op}) reduces a feature map over axes [${given}]; only global pooling (axes 1 and 2) is supported`);
  }
  const onnxAxes = nchw ? axes.map((a) => NHWC_TO_NCHW.indexOf(a as 0 | 1 | 2 | 3)) : axes;
  const input = nchw ? x.name : gr.asTf(x);
  // Opset 17: ReduceMean takes its axes as an attribute (an input only from opset 18).
  const y = gr.op('ReduceMean', [input], { axes: onnxAxes, keepdims: keep ? 1 : 0 });
  const outRank = rank === undefined ? undefined : keep ? rank : rank - axes.length;
  return value(y, nchw && keep ? 'nchw' : 'tf', outRank);
};

/** MatMul (+ BiasAdd) (+ activation), the fused form of a Dense layer. */
const fusedMatMul: OpHandler = ({ node, ins, gr }) => {
  if (attrBool(node, 'transpose_a', false)) throw new TfjsConvertError(`node "${node.name}" (${node.op}) transposes its first input; not supported`);
  const fused = attrOf(node, 'fused_ops') ? attrStrings(node, 'fused_ops') : [];
  const [bias, act, ...rest] = fused;
  if (rest.length || (bias !== undefined && bias !== 'BiasAdd')) throw new TfjsConvertError(`node "${node.name}" (${node.op}) fuses [${fused}]; expected BiasAdd and at most one activation`);
  const weights = gr.constant(ins[1], node, 'the weight matrix');
  if (weights.tensor.shape.length !== 2) throw new TfjsConvertError(`node "${node.name}" (${node.op}) has a weight of shape [${weights.tensor.shape}]; expected 2-D`);
  const w = attrBool(node, 'transpose_b', false) ? gr.init(weights, 'transposed', (t) => permuteConst(t, [1, 0])) : gr.init(weights);
  let y = gr.op('MatMul', [gr.asTf(ins[0]), w]);
  if (bias) y = gr.op('Add', [y, gr.init(gr.constant(ins[2], node, 'the bias'))]);
  if (act) y = activation(gr, node, act, y, ins[3] ? gr.asTf(ins[3]) : undefined);
  return value(y, 'tf', 2);
};

/** Softmax over the last axis (TensorFlow's), in TensorFlow's layout. */
const softmax: OpHandler = ({ ins, gr }) => {
  const x = ins[0];
  return value(gr.op('Softmax', [gr.asTf(x)], { axis: -1 }), 'tf', rankOf(x));
};

export const DENSE_OPS: Record<string, OpHandler> = {
  Mean: mean,
  _FusedMatMul: fusedMatMul,
  Softmax: softmax,
};
