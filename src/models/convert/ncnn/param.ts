/**
 * Parser for ncnn's text `.param` files (MODELS.md §5): magic 7767517, counts, then one layer per
 * line `Type name nIn nOut inputs… outputs… key=value…`. Array parameters are written either as
 * `-23300-id=n,v1,…` or as `id=v1,v2`.
 */

export type ParamValue = number | number[];

export interface NcnnLayer {
  type: string;
  name: string;
  inputs: string[];
  outputs: string[];
  params: Map<number, ParamValue>;
}

function parseNumber(text: string): number {
  const v = Number(text);
  if (!Number.isFinite(v)) throw new Error(`ncnn param: bad number "${text}"`);
  return v;
}

export function parseParam(text: string): NcnnLayer[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines[0]?.trim() !== '7767517') throw new Error('ncnn param: missing magic 7767517 (only the text format is supported)');
  const [layerCount] = lines[1].trim().split(/\s+/).map(Number);
  const layers: NcnnLayer[] = [];
  for (const line of lines.slice(2)) {
    const tok = line.trim().split(/\s+/);
    const [type, name] = tok;
    const nIn = Number(tok[2]);
    const nOut = Number(tok[3]);
    const inputs = tok.slice(4, 4 + nIn);
    const outputs = tok.slice(4 + nIn, 4 + nIn + nOut);
    const params = new Map<number, ParamValue>();
    for (const kv of tok.slice(4 + nIn + nOut)) {
      const eq = kv.indexOf('=');
      if (eq < 0) throw new Error(`ncnn param: layer ${name}: bad parameter "${kv}"`);
      const key = Number(kv.slice(0, eq));
      const raw = kv.slice(eq + 1);
      if (key <= -23300) {
        const [count, ...vals] = raw.split(',').map(parseNumber);
        if (vals.length !== count) throw new Error(`ncnn param: layer ${name}: array ${key} declares ${count} values, has ${vals.length}`);
        params.set(-23300 - key, vals);
      } else if (raw.includes(',')) {
        params.set(key, raw.split(',').map(parseNumber));
      } else {
        params.set(key, parseNumber(raw));
      }
    }
    layers.push({ type, name, inputs, outputs, params });
  }
  if (layers.length !== layerCount) throw new Error(`ncnn param: header says ${layerCount} layers, found ${layers.length}`);
  return layers;
}

/** A scalar parameter with its ncnn default. */
export function num(layer: NcnnLayer, key: number, fallback: number): number {
  const v = layer.params.get(key);
  if (v === undefined) return fallback;
  if (Array.isArray(v)) throw new Error(`ncnn param: layer ${layer.name}: parameter ${key} is an array`);
  return v;
}

export function arr(layer: NcnnLayer, key: number): number[] {
  const v = layer.params.get(key);
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}
