/**
 * Folds LoRAs into an ONNX component's weights: W' = W + Σ weight · (alpha / rank) · up · down,
 * written back in the weight's own layout (a MatMul's [in, out] gets the transposed delta) and
 * dtype (f32 or f16). Conv LoRAs (LoCon) take a down of the conv's kernel and a 1×1 up. The
 * model's other tensors are left as they are; the caller builds a session from the result.
 */
import type { OnnxTensor } from '../convert/onnx-read.js';
import { DT } from '../convert/onnx-graph.js';
import { floatsToHalves, halvesToFloats } from '../convert/fp16.js';
import { EXTERNAL, readExternal, setRawData } from '../convert/precision/external-data.js';
import type { LoraComponent, LoraModuleKeys } from './lora-keys.js';
import type { WeightTarget } from './lora-targets.js';

/** A LoRA module's tensors, as f32. */
export interface LoraModuleWeights {
  keys: LoraModuleKeys;
  down: { shape: number[]; data: Float32Array };
  up: { shape: number[]; data: Float32Array };
  alpha: number | null;
}

/** A LoRA that does not fit the export (wrong shapes, unsupported form); the message names the module, `lora` its index. */
export class LoraMergeError extends Error {
  constructor(message: string, readonly lora = -1) {
    super(message);
  }
}

const count = (shape: readonly number[]) => shape.reduce((a, d) => a * d, 1);

function weightValues(t: OnnxTensor, modelDir: string): Float32Array {
  const bytes = t.dataLocation === EXTERNAL ? readExternal(t, modelDir, t.dataType === DT.FLOAT16 ? 2 : 4) : t.rawData && t.rawData.length > 0 ? t.rawData : null;
  if (t.dataType === DT.FLOAT) {
    if (!bytes) return Float32Array.from(t.floatData ?? []);
    const copy = new Uint8Array(bytes);
    return new Float32Array(copy.buffer, 0, copy.length / 4);
  }
  if (t.dataType === DT.FLOAT16) {
    // f16 in int32_data holds one half per entry when there is no raw_data.
    if (!bytes) return halvesToFloats(Uint16Array.from(t.int32Data ?? []));
    const copy = new Uint8Array(bytes);
    return halvesToFloats(new Uint16Array(copy.buffer, 0, copy.length / 2));
  }
  throw new LoraMergeError(`its weight ${t.name} is neither f32 nor f16`);
}

function storeValues(t: OnnxTensor, values: Float32Array): void {
  const typed = t.dataType === DT.FLOAT16 ? floatsToHalves(values) : values;
  setRawData(t, t.dataType ?? DT.FLOAT, new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength));
}

/** Adds scale · up · down to `w` ([out, in·k] in torch layout, or [in, out] when transposed). */
function addDelta(w: Float32Array, m: LoraModuleWeights, scale: number, target: WeightTarget, dims: number[]): void {
  const [rank, ...downRest] = m.down.shape;
  const [out, upRank, ...upRest] = m.up.shape;
  if (upRank !== rank || count(upRest) !== 1) throw new LoraMergeError(`module ${m.keys.flat}: up ${JSON.stringify(m.up.shape)} and down ${JSON.stringify(m.down.shape)} do not form a low-rank pair`);
  const inner = count(downRest);
  if (count(dims) !== out * inner || dims[target.layout === 'in-out' ? dims.length - 1 : 0] !== out) {
    throw new LoraMergeError(`module ${m.keys.flat}: its ${out}×${inner} update does not fit the layer's weight [${dims.join(', ')}]`);
  }
  const up = m.up.data;
  const down = m.down.data;
  const row = new Float32Array(inner);
  for (let o = 0; o < out; o++) {
    row.fill(0);
    for (let r = 0; r < rank; r++) {
      const u = up[o * rank + r] * scale;
      if (u === 0) continue;
      const base = r * inner;
      for (let j = 0; j < inner; j++) row[j] += u * down[base + j];
    }
    if (target.layout === 'out-in') for (let j = 0; j < inner; j++) w[o * inner + j] += row[j];
    else for (let j = 0; j < inner; j++) w[j * out + o] += row[j];
  }
}

export interface LoraToMerge {
  weight: number;
  modules: LoraModuleWeights[];
}

/**
 * Merges every module of `component` from each LoRA into the weights `targets` point at (the
 * model's tensors, changed in place) and returns, per LoRA, how many of its modules found a layer.
 * `modelDir`: where external data is read from.
 */
export function mergeInto(targets: Map<string, WeightTarget>, component: LoraComponent, loras: readonly LoraToMerge[], modelDir: string): number[] {
  const touched = new Map<OnnxTensor, Float32Array>();
  const matched = loras.map((lora, index) => {
    let n = 0;
    for (const m of lora.modules) {
      if (m.keys.component !== component) continue;
      const target = targets.get(m.keys.flat);
      if (!target) continue;
      try {
        let w = touched.get(target.tensor);
        if (!w) touched.set(target.tensor, (w = weightValues(target.tensor, modelDir)));
        const rank = m.down.shape[0];
        addDelta(w, m, lora.weight * (m.alpha ?? rank) / rank, target, (target.tensor.dims ?? []).map(Number));
      } catch (err) {
        throw new LoraMergeError(err instanceof Error ? err.message : String(err), index);
      }
      n++;
    }
    return n;
  });
  for (const [t, w] of touched) storeValues(t, w);
  return matched;
}
