/**
 * Which Stable Diffusion family an installed folder is: SDXL (two text encoders, pooled text
 * embeds and time ids fed to the UNet) or SD 1.x/2.x. Decided by the folder itself (Optimum's SDXL
 * export has `text_encoder_2/`), else by the known ids, so the API process can check SDXL-only
 * fields and sizes at the door without opening a session. Light: node:fs only.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export type SdFamily = 'sd' | 'sdxl';

/** Model ids that are SDXL whatever their folder holds (a serve node may have no folders). */
export const SDXL_IDS: ReadonlySet<string> = new Set(['sdxl-base', 'sdxl-turbo']);

/** Largest side an SD 1.x/2.x model takes (trained at 512–768) and an SDXL one (trained at 1024). */
export const MAX_SIDE: Readonly<Record<SdFamily, number>> = Object.freeze({ sd: 1024, sdxl: 1536 });

export function sdFamily(model: { id: string; dir: string }): SdFamily {
  if (existsSync(join(model.dir, 'text_encoder_2', 'model.onnx'))) return 'sdxl';
  return SDXL_IDS.has(model.id) ? 'sdxl' : 'sd';
}
