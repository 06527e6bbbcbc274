/**
 * Writes safetensors files for tests (8-byte header length, JSON header, raw little-endian data),
 * and generated LoRAs in kohya or diffusers naming for the layers of the SD test models.
 */
import { floatsToHalves } from '../../src/models/convert/fp16.js';
import { randomFloats, seededRandom } from './random-weights.js';

export type StDtype = 'F32' | 'F16' | 'BF16';

export interface StTensor {
  dtype: StDtype;
  shape: number[];
  /** The values as f32 (stored in `dtype`). */
  data: Float32Array;
}

function encode(t: StTensor): Uint8Array {
  if (t.dtype === 'F32') return new Uint8Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength));
  if (t.dtype === 'F16') return new Uint8Array(floatsToHalves(t.data).buffer);
  const words = new Uint32Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength));
  // Truncation: the values used in tests are exact in bf16.
  return new Uint8Array(Uint16Array.from(words, (w) => w >>> 16).buffer);
}

export function writeSafetensors(tensors: Record<string, StTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = Object.keys(metadata).length ? { __metadata__: metadata } : {};
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = encode(t);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  // The format pads the header with spaces to 8 bytes.
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const head = Buffer.from(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Values that are exact in f16 and bf16 (multiples of 1/64 in [-1, 1]). */
export function exactFloats(seed: number, n: number, scale = 1): Float32Array {
  const r = randomFloats(seededRandom(seed), n, 1);
  return Float32Array.from(r, (v) => (Math.round(Math.max(-1, Math.min(1, v)) * 64) / 64) * scale);
}

export interface LoraLayer {
  /** The module path with dots, e.g. `down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_q`. */
  path: string;
  /** text_encoder_2: SDXL's second encoder (kohya `lora_te2_…`, diffusers `text_encoder_2.…`). */
  component: 'unet' | 'text_encoder' | 'text_encoder_2';
  /** torch's weight shape without the leading out: [in] or [in, kh, kw]. */
  inShape: number[];
  out: number;
  rank: number;
  alpha?: number;
}

const KOHYA_PREFIX = { unet: 'unet', text_encoder: 'te', text_encoder_2: 'te2' } as const;

/** A LoRA for `layers` in `naming`; returns the file and each layer's down/up (f32) for checking the merge. */
export function makeLora(layers: readonly LoraLayer[], naming: 'kohya' | 'diffusers', dtype: StDtype = 'F32', seed = 1): { bytes: Uint8Array; weights: { down: Float32Array; up: Float32Array }[] } {
  const tensors: Record<string, StTensor> = {};
  const weights = layers.map((l, k) => {
    const inner = l.inShape.reduce((a, d) => a * d, 1);
    const down = exactFloats(seed * 100 + k * 2, l.rank * inner, 0.5);
    const up = exactFloats(seed * 100 + k * 2 + 1, l.out * l.rank, 0.5);
    const downShape = [l.rank, ...l.inShape];
    const upShape = l.inShape.length > 1 ? [l.out, l.rank, 1, 1] : [l.out, l.rank];
    if (naming === 'kohya') {
      const base = `lora_${KOHYA_PREFIX[l.component]}_${l.path.replace(/\./g, '_')}`;
      tensors[`${base}.lora_down.weight`] = { dtype, shape: downShape, data: down };
      tensors[`${base}.lora_up.weight`] = { dtype, shape: upShape, data: up };
      if (l.alpha !== undefined) tensors[`${base}.alpha`] = { dtype, shape: [], data: Float32Array.of(l.alpha) };
    } else {
      const base = `${l.component}.${l.path}`;
      tensors[`${base}.lora_A.weight`] = { dtype, shape: downShape, data: down };
      tensors[`${base}.lora_B.weight`] = { dtype, shape: upShape, data: up };
      if (l.alpha !== undefined) tensors[`${base}.alpha`] = { dtype, shape: [], data: Float32Array.of(l.alpha) };
    }
    return { down, up };
  });
  return { bytes: writeSafetensors(tensors, { ss_network_module: 'networks.lora' }), weights };
}

/** Layers of the SD test models (test-models/sd.ts), by their torch module paths. */
export const TEST_LAYERS = {
  unetToQ: { path: 'down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_q', component: 'unet', inShape: [4], out: 32, rank: 2 },
  unetToOut: { path: 'down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_out.0', component: 'unet', inShape: [32], out: 4, rank: 4 },
  convIn: { path: 'conv_in', component: 'unet', inShape: [4, 3, 3], out: 4, rank: 2 },
  teQ: { path: 'text_model.encoder.layers.0.self_attn.q_proj', component: 'text_encoder', inShape: [32], out: 32, rank: 4 },
  teOut: { path: 'text_model.encoder.layers.0.self_attn.out_proj', component: 'text_encoder', inShape: [32], out: 32, rank: 2 },
} as const satisfies Record<string, LoraLayer>;
