/**
 * Ops that move data rather than compute it: Pad / PadV2 (paddings follow the layout change),
 * Reshape (depends on memory order, so its input goes back to TensorFlow's layout) and ConcatV2
 * (the axis follows the layout change when every input is NCHW).
 */
import { NHWC_TO_NCHW, value, type Operand } from './graph-context.js';
import { TfjsConvertError } from './model-json.js';
import type { OpHandler } from './ops-elementwise.js';

const pad: OpHandler = ({ node, ins, gr }) => {
  const paddings = gr.constant(ins[1], node, 'the paddings').tensor;
  const rank = paddings.shape[0];
  if (paddings.shape.length !== 2 || paddings.shape[1] !== 2) throw new TfjsConvertError(`node "${node.name}" (${node.op}) has paddings of shape [${paddings.shape}]; expected [rank, 2]`);
  const x = ins[0];
  const nchw = x.kind === 'value' && x.layout === 'nchw';
  if (nchw && rank !== 4) throw new TfjsConvertError(`node "${node.name}" (${node.op}) pads a 4-D feature map with ${rank} paddings`);
  const axes = nchw ? [...NHWC_TO_NCHW] : [...Array(rank).keys()];
  // TensorFlow: one [before, after] row per axis; ONNX: all befores, then all afters.
  const pads = [...axes.map((a) => paddings.data[a * 2]), ...axes.map((a) => paddings.data[a * 2 + 1])];
  const inputs = [nchw ? x.name : gr.asTf(x), gr.int64s(pads)];
  if (node.op === 'PadV2') inputs.push(gr.init(gr.constant(ins[2], node, 'the constant value'), 'scalar', (t) => ({ ...t, shape: [] })));
  const rankOut = x.kind === 'const' ? x.tensor.shape.length : x.rank;
  return value(gr.op('Pad', inputs, { mode: 'constant' }), nchw ? 'nchw' : 'tf', rankOut);
};

const reshape: OpHandler = ({ node, ins, gr }) => {
  const shape = gr.constant(ins[1], node, 'the target shape').tensor;
  if (shape.shape.length !== 1) throw new TfjsConvertError(`node "${node.name}" (${node.op}) has a target shape of shape [${shape.shape}]; expected 1-D`);
  const dims = Array.from(shape.data);
  // A 0 copies the input's dimension in ONNX but means an empty axis in TensorFlow.
  if (dims.includes(0)) throw new TfjsConvertError(`node "${node.name}" (${node.op}) reshapes to an empty dimension; not supported`);
  return value(gr.op('Reshape', [gr.asTf(ins[0]), gr.int64s(dims)]), 'tf', dims.length);
};

const concat: OpHandler = ({ node, ins, gr }) => {
  const parts = ins.slice(0, -1);
  const axisConst = gr.constant(ins[ins.length - 1], node, 'the axis').tensor;
  const rankOf = (o: Operand) => (o.kind === 'const' ? o.tensor.shape.length : o.rank);
  const rank = parts.map(rankOf).find((r) => r !== undefined);
  let axis = axisConst.data[0];
  if (axis < 0) {
    if (rank === undefined) throw new TfjsConvertError(`node "${node.name}" (${node.op}) has a negative axis on inputs of unknown rank`);
    axis += rank;
  }
  const allNchw = parts.every((o) => o.kind === 'value' && o.layout === 'nchw');
  if (allNchw) {
    const names = parts.map((o) => gr.asNchw(o, node));
    return value(gr.op('Concat', names, { axis: NHWC_TO_NCHW.indexOf(axis as 0 | 1 | 2 | 3) }), 'nchw', 4);
  }
  return value(gr.op('Concat', parts.map((o) => gr.asTf(o)), { axis }), 'tf', rank);
};

export const SHAPE_OPS: Record<string, OpHandler> = {
  Pad: pad,
  PadV2: pad,
  Reshape: reshape,
  ConcatV2: concat,
};
