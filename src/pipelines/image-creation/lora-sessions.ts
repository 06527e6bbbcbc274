/**
 * The text-encoder(s) and UNet sessions of an SD model with the request's LoRAs merged in, from the
 * worker's session cache: one merged session per component and combination (LoRA files by name,
 * weight, size and mtime), so repeating a combination costs no merge. A component no LoRA touches
 * keeps the model's own session. Every problem names its field (task_params.loras[i]…): a LoRA
 * not installed, a broken file, one whose layers match nothing in this model.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { mergeComponent } from '../../models/lora/lora-apply.js';
import { loraPath, noMatch } from '../../models/lora/lora-folder.js';
import { readLoraFile, type LoraFile } from '../../models/lora/lora-file.js';
import { indexLoraKeys, type LoraComponent } from '../../models/lora/lora-keys.js';
import { LoraMergeError } from '../../models/lora/lora-merge.js';
import { readHeaderFile, SafetensorsError } from '../../models/lora/safetensors.js';
import type { Session, SessionCache } from '../../runtime/index.js';
import { TaskError } from '../../tasks/task-errors.js';
import type { LoraRequest } from './lora-params.js';

/** What the result reports per LoRA: its modules, and how many of them went into each component. */
export interface AppliedLora {
  name: string;
  weight: number;
  /** Modules (down/up pairs) in the file; those matching no layer are skipped. */
  modules: number;
  unet_layers: number;
  text_encoder_layers: number;
  /** SDXL only: layers merged into the second text encoder (kohya `lora_te2_…`, diffusers `text_encoder_2.…`). */
  text_encoder_2_layers?: number;
}

interface LoraOnDisk {
  request: LoraRequest;
  field: string;
  path: string;
  /** Identity of the file's contents for the cache key. */
  stamp: string;
  components: Set<LoraComponent>;
  modules: number;
}

/** Matched-layer counts of each merged session, by its cache key (kept with the session's key). */
const matchedByKey = new Map<string, number[]>();

function invalid(field: string, message: string): TaskError {
  return new TaskError(`${field}: ${message}`, 'invalid_params');
}

function locate(loraDir: string, request: LoraRequest, i: number): LoraOnDisk {
  const field = `task_params.loras[${i}]`;
  const path = loraPath(loraDir, request.name);
  if (!path) throw invalid(`${field}.name`, `no LoRA "${request.name}" is installed on this worker`);
  const st = statSync(path);
  try {
    const keys = indexLoraKeys(readHeaderFile(path));
    if (keys.modules.length === 0) throw new SafetensorsError('holds no LoRA weights in kohya or diffusers naming');
    return { request, field, path, stamp: `${st.size}:${st.mtimeMs}`, components: new Set(keys.modules.map((m) => m.component)), modules: keys.modules.length };
  } catch (err) {
    if (err instanceof SafetensorsError) throw invalid(`${field}.name`, `the LoRA "${request.name}" ${err.message}`);
    throw err;
  }
}

async function componentSession(sessions: SessionCache, modelDir: string, component: LoraComponent, loras: readonly LoraOnDisk[], files: () => LoraFile[]): Promise<{ session: Session; matched: number[] }> {
  const path = join(modelDir, component, 'model.onnx');
  const using = loras.filter((l) => l.components.has(component));
  if (using.length === 0) return { session: await sessions.get(path), matched: loras.map(() => 0) };
  const key = `${path}#loras=${JSON.stringify(using.map((l) => [l.request.name, l.request.weight, l.stamp]))}`;
  const label = `${path.split(/[\\/]/).slice(-3).join('/')} with LoRAs`;
  const session = await sessions.getDerived(key, label, () => {
    const all = files();
    const picked = loras.flatMap((l, i) => (l.components.has(component) ? [{ lora: l, i }] : []));
    try {
      const merged = mergeComponent(path, component, picked.map(({ lora, i }) => ({ weight: lora.request.weight, modules: all[i].modules })));
      const matched = loras.map(() => 0);
      picked.forEach(({ i }, k) => (matched[i] = merged.matched[k]));
      matchedByKey.set(key, matched);
      // Far more than the derived sessions the cache keeps; the oldest entry goes first.
      if (matchedByKey.size > 256) matchedByKey.delete(matchedByKey.keys().next().value as string);
      return merged;
    } catch (err) {
      if (err instanceof LoraMergeError && err.lora >= 0) {
        const l = picked[err.lora].lora;
        throw invalid(`${l.field}.name`, `the LoRA "${l.request.name}" does not fit this model: ${err.message}`);
      }
      throw err;
    }
  });
  return { session, matched: matchedByKey.get(key) ?? loras.map(() => 0) };
}

/** The sessions with `requests` merged in (SDXL: both text encoders), and what went where; null when there are no LoRAs. */
export async function loraSessions(sessions: SessionCache, modelId: string, modelDir: string, loraDir: string, requests: readonly LoraRequest[]): Promise<{ textEncoder: Session; textEncoder2: Session | null; unet: Session; applied: AppliedLora[] } | null> {
  if (requests.length === 0) return null;
  const loras = requests.map((r, i) => locate(loraDir, r, i));
  let parsed: LoraFile[] | null = null;
  // Read whole only on a cache miss, and once for both components.
  const files = () => (parsed ??= loras.map((l) => {
    try {
      return readLoraFile(l.path);
    } catch (err) {
      if (err instanceof SafetensorsError) throw invalid(`${l.field}.name`, `the LoRA "${l.request.name}" ${err.message}`);
      throw err;
    }
  }));
  const te = await componentSession(sessions, modelDir, 'text_encoder', loras, files);
  const te2 = existsSync(join(modelDir, 'text_encoder_2', 'model.onnx')) ? await componentSession(sessions, modelDir, 'text_encoder_2', loras, files) : null;
  const unet = await componentSession(sessions, modelDir, 'unet', loras, files);
  const applied: AppliedLora[] = loras.map((l, i) => ({
    name: l.request.name, weight: l.request.weight, modules: l.modules, unet_layers: unet.matched[i], text_encoder_layers: te.matched[i],
    ...(te2 ? { text_encoder_2_layers: te2.matched[i] } : {}),
  }));
  for (const [i, a] of applied.entries()) {
    if (a.unet_layers + a.text_encoder_layers + (a.text_encoder_2_layers ?? 0) === 0) {
      throw invalid(`${loras[i].field}.name`, noMatch(a.name, loras[i].modules, modelId));
    }
  }
  return { textEncoder: te.session, textEncoder2: te2?.session ?? null, unet: unet.session, applied };
}
