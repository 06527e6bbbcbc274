/**
 * An A1111 `extra-single-image` body → one image_upscale task. A1111 takes any scale from 1 to
 * 8 and a named upscaler; the upscalers here are Real-ESRGAN models at ×2–×4, so the scale is
 * rounded into that range and an unknown (or "None") upscaler means the default model. Every
 * such adjustment is said in `html_info`.
 */
import { a1111DataUri } from './data-uri.js';
import type { TaskRequest } from '../call-runner.js';
import { resolveUpscaler } from './upscaler-names.js';
import { planFaceRestore } from './face-restore-plan.js';

export const EXTRAS_FIELDS: ReadonlySet<string> = new Set([
  'image', 'upscaling_resize', 'upscaler_1', 'upscaler_2', 'extras_upscaler_2_visibility', 'resize_mode', 'show_extras_results',
  'gfpgan_visibility', 'codeformer_visibility', 'codeformer_weight', 'upscaling_resize_w', 'upscaling_resize_h', 'upscaling_crop',
  'upscale_first',
]);

/** A1111 names of its own weight files that clients also send. */
const FILE_NAMES: Readonly<Record<string, string>> = { realesrgan_x4plus: 'realesrgan-x4plus' };

export interface ExtrasPlan {
  request: TaskRequest;
  notes: string[];
}

/** `installed`: the upscalers installed; `enhancers`: the face enhancers installed (face_enhance). */
export function planExtras(body: Record<string, unknown>, installed: readonly string[], enhancers: readonly string[] = []): ExtrasPlan {
  const notes: string[] = [];
  const asked = typeof body.upscaling_resize === 'number' ? body.upscaling_resize : 2;
  const scale = Math.min(4, Math.max(2, Math.round(asked)));
  if (scale !== asked) notes.push(`upscaling_resize ${asked} was rounded to ${scale} (this server upscales ×2, ×3 or ×4)`);
  if (body.resize_mode === 1) notes.push('resize_mode 1 (scale to a size) is not available; the image was scaled by a factor');
  if (typeof body.extras_upscaler_2_visibility === 'number' && body.extras_upscaler_2_visibility > 0) notes.push('upscaler_2 is not blended in');
  const params: Record<string, unknown> = { image_url: a1111DataUri(String(body.image)), scale_factor: scale };
  const faceEnhance = planFaceRestore(body, enhancers, notes);
  if (faceEnhance) params.face_enhance = faceEnhance;
  const name = typeof body.upscaler_1 === 'string' ? body.upscaler_1.trim() : '';
  if (name && name.toLowerCase() !== 'none') {
    // The same names as the hires fix's hr_upscaler (upscaler-names.ts); latent modes have no meaning here.
    const choice = resolveUpscaler(FILE_NAMES[name.toLowerCase()] ?? name, installed);
    const id = choice?.kind === 'model' ? choice.id : undefined;
    if (id) params.model = id;
    else notes.push(`upscaler_1 "${name}" is not installed here (${installed.join(', ')}); the default upscaler was used`);
  }
  return { request: { task_type: 'image_upscale', task_params: params }, notes };
}
