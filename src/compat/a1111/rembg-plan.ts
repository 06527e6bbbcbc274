/**
 * The rembg extension's POST /rembg body → one background_removal task. rembg's model names map
 * to installed ids where the weights are the same (u2net, birefnet-general); any other name, or
 * one not installed, means the default model, and the answer's `info` says so. rembg's alpha
 * matting (a closed-form matte from a trimap) has no counterpart: the guided-filter refinement
 * always runs, and its thresholds are not used.
 */
import type { TaskRequest } from '../call-runner.js';

export const REMBG_FIELDS: ReadonlySet<string> = new Set([
  'input_image', 'model', 'return_mask', 'alpha_matting', 'alpha_matting_foreground_threshold',
  'alpha_matting_background_threshold', 'alpha_matting_erode_size',
]);

/** rembg's session names for weights that have a manifest id here. */
const ALIASES: Readonly<Record<string, string>> = {
  u2net: 'u2net',
  'birefnet-general': 'birefnet-general',
  'selfie-segmentation': 'selfie-segmentation',
};

export interface RembgPlan {
  request: TaskRequest;
  notes: string[];
}

export function planRembg(body: Record<string, unknown>, installed: readonly string[]): RembgPlan {
  const notes: string[] = [];
  const image = String(body.input_image);
  const params: Record<string, unknown> = { image_url: /^data:/i.test(image) ? image : `data:image/png;base64,${image}` };
  if (body.return_mask === true) params.output = 'mask';
  const name = typeof body.model === 'string' ? body.model.trim().toLowerCase() : '';
  if (name && name !== 'none') {
    const id = ALIASES[name];
    if (id && installed.includes(id)) params.model = id;
    else notes.push(`model "${name}" is not installed here (${installed.join(', ') || 'none'}); the default model was used`);
  }
  if (body.alpha_matting === true) notes.push('alpha_matting: the guided-filter edge refinement is used instead (its thresholds are ignored)');
  return { request: { task_type: 'background_removal', task_params: params }, notes };
}
