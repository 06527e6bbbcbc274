/** Reading a session's declared inputs and outputs (dtype and shape, symbolic dims as strings). */
import type * as ort from 'onnxruntime-node';

export interface ValueSignature {
  name: string;
  type: string;
  shape: ReadonlyArray<number | string>;
}

export interface SessionSignature {
  inputs: ValueSignature[];
  outputs: ValueSignature[];
}

function describe(meta: readonly ort.InferenceSession.ValueMetadata[]): ValueSignature[] {
  return meta.map((m) => (m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : { name: m.name, type: 'non-tensor', shape: [] }));
}

export function sessionSignature(session: ort.InferenceSession): SessionSignature {
  return { inputs: describe(session.inputMetadata), outputs: describe(session.outputMetadata) };
}
