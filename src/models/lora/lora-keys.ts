/**
 * LoRA tensor names → the layers they adapt. Two namings are read:
 * - kohya (sd-scripts, A1111, ComfyUI): `lora_unet_<path>.lora_down.weight`, `.lora_up.weight`,
 *   `.alpha`, with the module path's dots flattened to underscores (`lora_te_…` for the text encoder);
 * - diffusers / PEFT: `unet.<path>.lora_A.weight` / `.lora_B.weight` (older diffusers:
 *   `.lora.down.weight` / `.lora.up.weight`), `text_encoder.<path>…`, and PEFT's own
 *   `base_model.model.<path>…` for a UNet adapter.
 * kohya's flattening cannot be undone (`transformer_blocks` keeps its underscore), so both namings
 * are brought to the flat form (`down_blocks_0_attentions_0_…_to_q`) and matched against the flat
 * form of the export's layer names (lora-targets.ts).
 */
import type { SafetensorsHeader } from './safetensors.js';

/** The SD component a LoRA module adapts (te2 is SDXL's second text encoder). */
export type LoraComponent = 'unet' | 'text_encoder' | 'text_encoder_2';

export interface LoraModuleKeys {
  component: LoraComponent;
  /** The module path, flat form: dots as underscores. */
  flat: string;
  down: string;
  up: string;
  alpha: string | null;
}

export interface LoraKeyIndex {
  modules: LoraModuleKeys[];
  /** Tensor names that are no LoRA down/up/alpha this reader knows (LoCon mid weights, DoRA scales, …). */
  unknown: string[];
}

const KOHYA = /^lora_(unet|te1|te2|te)_(.+)\.(lora_down\.weight|lora_up\.weight|alpha)$/;
const DIFFUSERS = /^(unet|text_encoder_2|text_encoder|base_model\.model)\.(.+)\.(lora_A\.weight|lora_B\.weight|lora\.down\.weight|lora\.up\.weight|alpha)$/;

const KOHYA_COMPONENT: Readonly<Record<string, LoraComponent>> = { unet: 'unet', te: 'text_encoder', te1: 'text_encoder', te2: 'text_encoder_2' };
const DIFFUSERS_COMPONENT: Readonly<Record<string, LoraComponent>> = {
  unet: 'unet', text_encoder: 'text_encoder', text_encoder_2: 'text_encoder_2', 'base_model.model': 'unet',
};

export const flatten = (modulePath: string): string => modulePath.replace(/\./g, '_');

type Part = 'down' | 'up' | 'alpha';

function classify(name: string): { component: LoraComponent; flat: string; part: Part } | null {
  const k = KOHYA.exec(name);
  if (k) {
    const part: Part = k[3] === 'alpha' ? 'alpha' : k[3].startsWith('lora_down') ? 'down' : 'up';
    return { component: KOHYA_COMPONENT[k[1]], flat: k[2], part };
  }
  const d = DIFFUSERS.exec(name);
  if (d) {
    const part: Part = d[3] === 'alpha' ? 'alpha' : /lora_A|down/.test(d[3]) ? 'down' : 'up';
    return { component: DIFFUSERS_COMPONENT[d[1]], flat: flatten(d[2]), part };
  }
  return null;
}

/** Groups a file's tensors into modules (each with a down and an up); a lone half counts as unknown. */
export function indexLoraKeys(header: SafetensorsHeader): LoraKeyIndex {
  const byModule = new Map<string, { component: LoraComponent; flat: string; down?: string; up?: string; alpha?: string }>();
  const unknown: string[] = [];
  for (const name of header.tensors.keys()) {
    const c = classify(name);
    if (!c) {
      unknown.push(name);
      continue;
    }
    const key = `${c.component}:${c.flat}`;
    let m = byModule.get(key);
    if (!m) byModule.set(key, (m = { component: c.component, flat: c.flat }));
    m[c.part] = name;
  }
  const modules: LoraModuleKeys[] = [];
  for (const m of byModule.values()) {
    if (m.down && m.up) modules.push({ component: m.component, flat: m.flat, down: m.down, up: m.up, alpha: m.alpha ?? null });
    else unknown.push(...[m.down, m.up, m.alpha].filter((x): x is string => x !== undefined));
  }
  return { modules, unknown };
}
