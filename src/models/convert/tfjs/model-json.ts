/**
 * The tfjs graph-model `model.json`: its types, a structural check, and readers for the
 * TensorFlow attribute values its nodes carry (strings are base64, integers are decimal strings,
 * as in TensorFlow's JSON form of AttrValue). Only what the converter uses is typed.
 */

export class TfjsConvertError extends Error {
  override readonly name = 'TfjsConvertError';
}

export interface TfAttrList {
  s?: string[];
  i?: (string | number)[];
  f?: number[];
  b?: boolean[];
  type?: string[];
}

export interface TfAttr {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  list?: TfAttrList;
  shape?: TfShape;
  tensor?: { dtype?: string; tensorShape?: TfShape };
}

export interface TfShape {
  dim?: { size?: string | number }[];
  unknownRank?: boolean;
}

export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}

export interface TfSignatureEntry {
  name: string;
  dtype?: string;
  tensorShape?: TfShape;
}

export interface WeightQuantization {
  dtype: 'uint8' | 'uint16' | 'float16';
  scale?: number;
  min?: number;
  original_dtype?: string;
}

export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: WeightQuantization;
}

export interface WeightGroup {
  paths: string[];
  weights: WeightEntry[];
}

export interface TfjsModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  signature?: { inputs?: Record<string, TfSignatureEntry>; outputs?: Record<string, TfSignatureEntry> };
  modelTopology: { node: TfNode[] };
  weightsManifest: WeightGroup[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks the parts the converter relies on, so a wrong file fails here with a named field. */
export function parseModelJson(data: unknown): TfjsModelJson {
  if (!isObject(data)) throw new TfjsConvertError('model.json is not a JSON object');
  if (data.format !== undefined && data.format !== 'graph-model') {
    throw new TfjsConvertError(`model.json format is "${String(data.format)}"; only tfjs graph models ("graph-model") are supported`);
  }
  const topo = data.modelTopology;
  if (!isObject(topo) || !Array.isArray(topo.node)) throw new TfjsConvertError('model.json has no modelTopology.node list (a layers model?)');
  for (const n of topo.node as unknown[]) {
    if (!isObject(n) || typeof n.name !== 'string' || typeof n.op !== 'string') throw new TfjsConvertError('model.json has a node without a name or op');
  }
  if (!Array.isArray(data.weightsManifest)) throw new TfjsConvertError('model.json has no weightsManifest');
  for (const g of data.weightsManifest as unknown[]) {
    if (!isObject(g) || !Array.isArray(g.paths) || !Array.isArray(g.weights)) throw new TfjsConvertError('model.json has a weightsManifest group without paths or weights');
  }
  return data as unknown as TfjsModelJson;
}

export function attrOf(node: TfNode, key: string): TfAttr | undefined {
  return node.attr?.[key];
}

export function attrString(node: TfNode, key: string, fallback?: string): string {
  const a = attrOf(node, key);
  if (a?.s === undefined) {
    if (fallback !== undefined) return fallback;
    throw new TfjsConvertError(`node "${node.name}" (${node.op}) has no string attribute "${key}"`);
  }
  return Buffer.from(a.s, 'base64').toString('utf8');
}

export function attrInts(node: TfNode, key: string, fallback?: number[]): number[] {
  const list = attrOf(node, key)?.list;
  if (!list?.i || list.i.length === 0) {
    if (fallback !== undefined) return fallback;
    throw new TfjsConvertError(`node "${node.name}" (${node.op}) has no integer list "${key}"`);
  }
  return list.i.map(Number);
}

export function attrStrings(node: TfNode, key: string): string[] {
  return (attrOf(node, key)?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString('utf8'));
}

export function attrBool(node: TfNode, key: string, fallback: boolean): boolean {
  return attrOf(node, key)?.b ?? fallback;
}

export function attrFloat(node: TfNode, key: string, fallback: number): number {
  return attrOf(node, key)?.f ?? fallback;
}

/** Dimension sizes of a TensorShapeProto; -1 (or a missing size) is an unknown dimension. */
export function shapeDims(shape: TfShape | undefined): number[] | null {
  if (!shape || shape.unknownRank || !shape.dim) return null;
  return shape.dim.map((d) => (d.size === undefined ? -1 : Number(d.size)));
}

/** "node", "node:1" and "^node" (control edge) -> producer name and output index. */
export function parseInputRef(ref: string): { node: string; index: number; control: boolean } {
  if (ref.startsWith('^')) return { node: ref.slice(1), index: 0, control: true };
  const m = /^(.*):(\d+)$/.exec(ref);
  return m ? { node: m[1], index: Number(m[2]), control: false } : { node: ref, index: 0, control: false };
}
