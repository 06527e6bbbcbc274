/**
 * Elementwise TensorFlow ops -> ONNX: binary arithmetic (with TensorFlow's last-axis
 * broadcasting carried over to NCHW by graph-context), AddN, and the activations, which are also
 * used by the fused convolutions. Layout passes through: an op on an NCHW value yields NCHW.
 */
import { value, type Operand, type TfjsGraph, type Value } from './graph-context.js';
import { attrFloat, TfjsConvertError, type TfNode } from './model-json.js';

export interface OpArgs {
  node: TfNode;
  ins: Operand[];
  gr: TfjsGraph;
}

export type OpHandler = (a: OpArgs) => Value;

function rankOf(ins: readonly Operand[]): number | undefined {
  let rank = 0;
  for (const o of ins) {
    const r = o.kind === 'const' ? o.tensor.shape.length : o.rank;
    if (r === undefined) return undefined;
    rank = Math.max(rank, r);
  }
  return rank;
}

/** Inputs in a common layout: NCHW if any input is an NCHW value, else TensorFlow's. */
function alignInputs({ node, ins, gr }: OpArgs): { names: string[]; layout: 'tf' | 'nchw' } {
  const nchw = ins.some((o) => o.kind === 'value' && o.layout === 'nchw');
  return { names: ins.map((o) => (nchw ? gr.asNchwBroadcast(o, node) : gr.asTf(o))), layout: nchw ? 'nchw' : 'tf' };
}

function elementwise(onnxOp: string): OpHandler {
  return (a) => {
    const { names, layout } = alignInputs(a);
    return value(a.gr.op(onnxOp, names), layout, rankOf(a.ins));
  };
}

/** TensorFlow activation name -> ONNX nodes on `x`; `alpha` is Prelu's slope operand. */
export function activation(gr: TfjsGraph, node: TfNode, kind: string, x: string, alpha?: string): string {
  switch (kind) {
    case 'Relu':
      return gr.op('Relu', [x]);
    case 'Relu6':
      return gr.op('Clip', [x, gr.g.floats([0], []), gr.g.floats([6], [])]);
    case 'Sigmoid':
      return gr.op('Sigmoid', [x]);
    case 'Tanh':
      return gr.op('Tanh', [x]);
    case 'Elu':
      return gr.op('Elu', [x], { alpha: { f: 1 } });
    case 'LeakyRelu':
      // Standalone LeakyRelu calls it "alpha"; fused convolutions "leakyrelu_alpha".
      return gr.op('LeakyRelu', [x], { alpha: { f: attrFloat(node, 'alpha', attrFloat(node, 'leakyrelu_alpha', 0.2)) } });
    case 'Prelu':
      if (!alpha) throw new TfjsConvertError(`node "${node.name}" (${node.op}) fuses Prelu without its alpha argument`);
      // tfjs stores the slope itself (the constants named ".../Neg" are already alpha).
      return gr.op('PRelu', [x, alpha]);
    default:
      throw new TfjsConvertError(`node "${node.name}" (${node.op}): activation "${kind}" is not supported`);
  }
}

function unary(kind: string): OpHandler {
  return ({ node, ins, gr }) => {
    const x = ins[0];
    const name = x.kind === 'const' ? gr.asTf(x) : x.name;
    return value(activation(gr, node, kind, name), x.kind === 'const' ? 'tf' : x.layout, rankOf([x]));
  };
}

const prelu: OpHandler = (a) => {
  const { names, layout } = alignInputs(a);
  return value(activation(a.gr, a.node, 'Prelu', names[0], names[1]), layout, rankOf(a.ins));
};

const addN: OpHandler = (a) => {
  const { names, layout } = alignInputs(a);
  return value(names.length === 1 ? a.gr.op('Identity', names) : a.gr.op('Sum', names), layout, rankOf(a.ins));
};

export const ELEMENTWISE_OPS: Record<string, OpHandler> = {
  Add: elementwise('Add'),
  AddV2: elementwise('Add'),
  BiasAdd: elementwise('Add'),
  Sub: elementwise('Sub'),
  Mul: elementwise('Mul'),
  RealDiv: elementwise('Div'),
  Maximum: elementwise('Max'),
  Minimum: elementwise('Min'),
  AddN: addN,
  Prelu: prelu,
  Relu: unary('Relu'),
  Relu6: unary('Relu6'),
  Sigmoid: unary('Sigmoid'),
  Tanh: unary('Tanh'),
  Elu: unary('Elu'),
  LeakyRelu: unary('LeakyRelu'),
};
