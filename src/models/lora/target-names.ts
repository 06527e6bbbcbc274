/**
 * The names a LoRA key can match in an installed SD model (the flat module paths of its
 * MatMul/Gemm/Conv weights, lora-targets.ts), per component, for the submit-time check: a LoRA
 * none of whose modules matches is refused at the door instead of failing in the worker. Built
 * from the ONNX file's graph without its weights (onnx-scan.ts) once per file identity (path,
 * size, mtime) and kept in memory, so a later submit costs a few map look-ups; a replaced file
 * gets a new index. No session is created: the API process stays light.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { LoraComponent, LoraKeyIndex } from './lora-keys.js';
import { locateWeights } from './lora-targets.js';
import { scanOnnxGraph } from './onnx-scan.js';

/** Model files whose index is kept (an SD folder has two or three). */
const MAX_CACHED = 24;
const cache = new Map<string, { stamp: string; names: ReadonlySet<string> }>();

/** The flat target names of the ONNX file at `path`; null when there is no such file. */
export function targetNames(path: string): ReadonlySet<string> | null {
  let stamp: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) return null;
    stamp = `${st.size}:${st.mtimeMs}`;
  } catch {
    return null;
  }
  const hit = cache.get(path);
  if (hit?.stamp === stamp) return hit.names;
  const graph = scanOnnxGraph(path);
  const names: ReadonlySet<string> = new Set(locateWeights(graph.nodes, new Map([...graph.initializers].map((n) => [n, n]))).keys());
  cache.delete(path);
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
  cache.set(path, { stamp, names });
  return names;
}

/**
 * How many of a LoRA's modules match a layer of the SD model in `modelDir` (a component the model
 * lacks, such as SDXL's text_encoder_2 on SD 1.5, matches nothing); null when this node cannot
 * tell (no UNet file here, or one the scan cannot read: the worker's load reports it).
 */
export function matchingModules(keys: LoraKeyIndex, modelDir: string): number | null {
  try {
    if (targetNames(join(modelDir, 'unet', 'model.onnx')) === null) return null;
    const byComponent = new Map<LoraComponent, ReadonlySet<string> | null>();
    let n = 0;
    for (const m of keys.modules) {
      if (!byComponent.has(m.component)) byComponent.set(m.component, targetNames(join(modelDir, m.component, 'model.onnx')));
      if (byComponent.get(m.component)?.has(m.flat)) n++;
    }
    return n;
  } catch {
    // Unreadable or malformed here (OnnxScanError, EACCES): the worker's load names the problem.
    return null;
  }
}
