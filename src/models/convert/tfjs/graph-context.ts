/**
 * The converter's value table and the NHWC -> NCHW bookkeeping.
 *
 * TensorFlow graphs are NHWC; ONNX Runtime's convolutions are NCHW. Rather than wrapping every
 * convolution in a pair of transposes, the converted graph keeps 4-D feature maps in NCHW
 * ("nchw" values) from the first spatial op on: convolution weights are rearranged once at
 * conversion time, per-channel constants are reshaped to broadcast along axis 1, and a value goes
 * back to TensorFlow's layout ("tf") only where an op depends on the memory order (Reshape, a
 * mixed Concat) and at the graph outputs. So the ONNX model has the tfjs model's NHWC signature
 * with a transpose at each end, and none inside for the models this was written for.
 */
import type { AttrValue, GraphBuilder } from '../onnx-graph.js';
import { TfjsConvertError, type TfNode } from './model-json.js';
import { elementCount, permuteConst, type ConstTensor } from './weights.js';

export type Layout = 'tf' | 'nchw';

/** A computed tensor: its ONNX name, layout, and rank when known. */
export interface Value {
  kind: 'value';
  name: string;
  layout: Layout;
  rank?: number;
}

/** A constant from the weights: materialised as an initializer in whatever form its consumer needs. */
export interface Constant {
  kind: 'const';
  name: string;
  tensor: ConstTensor;
}

export type Operand = Value | Constant;

export const NHWC_TO_NCHW = [0, 3, 1, 2] as const;
export const NCHW_TO_NHWC = [0, 2, 3, 1] as const;

export function value(name: string, layout: Layout, rank?: number): Value {
  return { kind: 'value', name, layout, rank };
}

export class TfjsGraph {
  private readonly operands = new Map<string, Operand>();
  private readonly cache = new Map<string, string>();

  constructor(readonly g: GraphBuilder) {}

  define(ref: string, operand: Operand): void {
    this.operands.set(ref, operand);
  }

  operand(ref: string, consumer: TfNode): Operand {
    const o = this.operands.get(ref) ?? this.operands.get(`${ref}:0`);
    if (!o) throw new TfjsConvertError(`node "${consumer.name}" (${consumer.op}) reads "${ref}", which no converted node produces`);
    return o;
  }

  /** Emits a node whose output is named by the generator; returns that name. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}): string {
    return this.g.op(opType, inputs, attrs);
  }

  private memo(key: string, make: () => string): string {
    let name = this.cache.get(key);
    if (name === undefined) {
      name = make();
      this.cache.set(key, name);
    }
    return name;
  }

  /** A constant as an initializer of its own dtype (float32 or int32), unchanged. */
  init(c: Constant, variant = 'tf', transform: (t: ConstTensor) => ConstTensor = (t) => t): string {
    // "tf:" keeps initializer names apart from the generator's "<op>_<n>" names.
    return this.memo(`init|${c.name}|${variant}`, () => {
      const t = transform(c.tensor);
      const name = `tf:${c.name}${variant === 'tf' ? '' : `#${variant}`}`;
      return t.dtype === 'int32' ? this.g.init(name, Int32Array.from(t.data), t.shape) : this.g.init(name, Float32Array.from(t.data), t.shape);
    });
  }

  int64s(values: readonly number[]): string {
    return this.memo(`i64|${values.join(',')}`, () => this.g.int64s(values));
  }

  /** The operand in TensorFlow's layout (NCHW values are transposed back to NHWC once). */
  asTf(o: Operand): string {
    if (o.kind === 'const') return this.init(o);
    if (o.layout === 'tf') return o.name;
    return this.memo(`tf|${o.name}`, () => this.g.op('Transpose', [o.name], { perm: [...NCHW_TO_NHWC] }));
  }

  /** A 4-D operand as NCHW: NHWC values get one transpose, constants are rearranged. */
  asNchw(o: Operand, consumer: TfNode): string {
    if (o.kind === 'const') {
      if (o.tensor.shape.length !== 4) throw new TfjsConvertError(`node "${consumer.name}" (${consumer.op}) needs a 4-D input; constant "${o.name}" has shape [${o.tensor.shape}]`);
      return this.init(o, 'nchw', (t) => permuteConst(t, NHWC_TO_NCHW));
    }
    if (o.layout === 'nchw') return o.name;
    if (o.rank !== undefined && o.rank !== 4) throw new TfjsConvertError(`node "${consumer.name}" (${consumer.op}) needs a 4-D input; "${o.name}" has rank ${o.rank}`);
    return this.memo(`nchw|${o.name}`, () => this.g.op('Transpose', [o.name], { perm: [...NHWC_TO_NCHW] }));
  }

  /**
   * An operand of an elementwise op whose other side is NCHW. TensorFlow broadcasts from the
   * last axis (channels); after the layout change channels are axis 1, so a constant of shape
   * [C] or [1,1,C] becomes [1,C,1,1] and a scalar stays a scalar.
   */
  asNchwBroadcast(o: Operand, consumer: TfNode): string {
    if (o.kind === 'value') return this.asNchw(o, consumer);
    const rank = o.tensor.shape.length;
    if (rank === 0 || elementCount(o.tensor.shape) === 1) return this.init(o, 'scalar', (t) => ({ ...t, shape: [] }));
    if (rank > 4) throw new TfjsConvertError(`node "${consumer.name}" (${consumer.op}) broadcasts a rank-${rank} constant against a 4-D feature map`);
    return this.init(o, 'nchw-bcast', (t) => permuteConst({ ...t, shape: [...new Array<number>(4 - rank).fill(1), ...t.shape] }, NHWC_TO_NCHW));
  }

  /** A constant operand (weights, shapes, paddings); anything computed at run time is an error. */
  constant(o: Operand, consumer: TfNode, what: string): Constant {
    if (o.kind !== 'const') throw new TfjsConvertError(`node "${consumer.name}" (${consumer.op}): ${what} must be a constant, but is computed by the graph`);
    return o;
  }
}
