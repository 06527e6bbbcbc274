/** Reading ONNX files back with onnx-proto (model-sized buffers only: it decodes everything). */
import onnxProto from 'onnx-proto';
import { DT } from './onnx-graph.js';

const { onnx } = onnxProto;

export type OnnxModel = onnxProto.onnx.ModelProto;
export type OnnxTensor = onnxProto.onnx.ITensorProto;

export function decodeModel(bytes: Uint8Array): OnnxModel {
  return onnx.ModelProto.decode(bytes);
}

export function encodeModel(model: OnnxModel): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

export function dimsOf(t: OnnxTensor): number[] {
  return (t.dims ?? []).map((d) => Number(d));
}

/** A FLOAT tensor's values, from raw_data or float_data. */
export function floatValues(t: OnnxTensor): Float32Array {
  if (t.dataType !== DT.FLOAT) throw new Error(`tensor ${t.name} is not FLOAT (data_type ${t.dataType})`);
  if (t.rawData && t.rawData.length > 0) {
    const copy = new Uint8Array(t.rawData);
    return new Float32Array(copy.buffer, 0, copy.length / 4);
  }
  return Float32Array.from(t.floatData ?? []);
}

/** The graph's last initializer as floats (inswapper keeps its `emap` there). */
export function readLastInitializer(bytes: Uint8Array): { name: string; dims: number[]; data: Float32Array } {
  const inits = decodeModel(bytes).graph?.initializer ?? [];
  const last = inits[inits.length - 1];
  if (!last) throw new Error('model has no initializers');
  return { name: last.name ?? '', dims: dimsOf(last), data: floatValues(last) };
}
