/**
 * A small ONNX graph writer over onnx-proto, shared by the ncnn converter and the test-model
 * generator (test/support). It keeps the protobuf details (attribute type tags, value infos, opset) in one place
 * so each model builder reads as a list of operators.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export const DT = { FLOAT: 1, INT32: 6, INT64: 7, FLOAT16: 10, DOUBLE: 11 } as const;
export type ElemType = (typeof DT)[keyof typeof DT];

/** Attribute values: plain numbers are INT, `{ f }` FLOAT, arrays INTS, `{ floats }` FLOATS, strings STRING. */
export type AttrValue = number | { f: number } | number[] | { floats: number[] } | string;

export type Dim = number | string;

type InitData = Float32Array | Int32Array | BigInt64Array | Uint16Array;

function attribute(name: string, value: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') return { name, type: T.INT, i: value };
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if ('f' in value) return { name, type: T.FLOAT, f: value.f };
  return { name, type: T.FLOATS, floats: value.floats };
}

function valueInfo(name: string, elemType: ElemType, dims: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private counter = 0;

  constructor(private readonly name: string) {}

  input(name: string, elemType: ElemType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: ElemType, dims: readonly Dim[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** Adds an initializer stored as little-endian raw bytes; returns its name. */
  init(name: string, data: InitData, dims: readonly number[], elemType?: ElemType): string {
    const type =
      elemType ??
      (data instanceof Float32Array ? DT.FLOAT : data instanceof Int32Array ? DT.INT32 : data instanceof BigInt64Array ? DT.INT64 : DT.FLOAT16);
    const rawData = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    this.initializers.push({ name, dims: [...dims], dataType: type, rawData });
    return name;
  }

  /** Shorthands for constant initializers with generated names. */
  floats(values: ArrayLike<number>, dims: readonly number[]): string {
    return this.init(this.fresh('const'), Float32Array.from(values as ArrayLike<number>), dims);
  }

  int64s(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.init(this.fresh('const'), BigInt64Array.from(values.map((v) => BigInt(v))), dims);
  }

  /**
   * Adds a node with one output and returns the output's name (generated unless given). `name`
   * names the node itself (torch's exporter names nodes by module scope, `/a.0/b/MatMul`).
   */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, output?: string, name?: string): string {
    const out = output ?? this.fresh(opType.toLowerCase());
    this.opMulti(opType, inputs, [out], attrs, name);
    return out;
  }

  opMulti(opType: string, inputs: readonly string[], outputs: readonly string[], attrs: Record<string, AttrValue> = {}, name?: string): readonly string[] {
    this.nodes.push({
      name: name ?? this.fresh(`n_${opType}`),
      opType,
      input: [...inputs],
      output: [...outputs],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outputs;
  }

  fresh(prefix: string): string {
    this.counter += 1;
    return `${prefix}_${this.counter}`;
  }

  encode(opset = 17): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'backserv',
      opsetImport: [{ domain: '', version: opset }],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
