/**
 * A1111's hires fix fields of a txt2img body → image_creation's `hires` object: `enable_hr` turns
 * it on; the scale is `hr_scale` or, as in A1111, the one `hr_resize_x`/`hr_resize_y` imply;
 * `hr_upscaler` is an A1111 name (upscaler-names.ts); `hr_second_pass_steps` 0 means the first
 * pass's steps; `denoising_strength` (default 0.7) is the second pass's strength. Unlike the other
 * txt2img fields these are refused (422 naming the field) rather than clamped: a hires scale or an
 * upscaler silently changed would give an image of another size or look than asked for.
 */
import { CompatError } from '../errors.js';
import { HIRES_DEFAULTS } from '../../pipelines/image-creation/hires-params.js';
import { acceptedUpscalers, resolveUpscaler } from './upscaler-names.js';

/** What the hires pass was asked to do, for `info` (the infotext's Hires keys, the notes). */
export interface HiresInfo {
  scale: number;
  /** The A1111 upscaler name, as A1111 writes it in the infotext. */
  upscalerName: string;
  /** What ran: "latent" or an image_upscale model id. */
  upscaler: string;
  strength: number;
  /** "WxH" when the size came from hr_resize_x/y (A1111's "Hires resize"). */
  resize: string | null;
}

export interface HiresPlan {
  /** image_creation's task_params.hires. */
  params: Record<string, unknown>;
  info: HiresInfo;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const bad = (field: string, message: string) => CompatError.field(field, message, 422);

/** The scale from hr_resize_x/y (0 = not given, as A1111) or hr_scale; `width`/`height`: the first pass as asked. */
function chooseScale(body: Record<string, unknown>, width: number, height: number): { scale: number; field: string; resize: string | null } {
  const rx = num(body.hr_resize_x) ?? 0;
  const ry = num(body.hr_resize_y) ?? 0;
  if (rx > 0 || ry > 0) {
    const sx = rx > 0 ? rx / width : null;
    const sy = ry > 0 ? ry / height : null;
    // Both given: they must scale both sides alike (to within one 8-px step, as sizes are rounded to 8).
    if (sx !== null && sy !== null && (Math.abs(width * sy - rx) >= 8 || Math.abs(height * sx - ry) >= 8)) {
      throw bad('hr_resize_x', `hr_resize_x × hr_resize_y = ${rx}x${ry} does not scale ${width}x${height} by one factor (×${sx.toFixed(3)} across, ×${sy.toFixed(3)} down); `
        + 'this server scales both sides alike: give one of them (the other follows), or both in the same ratio.');
    }
    return { scale: sx ?? sy!, field: sx !== null ? 'hr_resize_x' : 'hr_resize_y', resize: `${rx}x${ry}` };
  }
  return { scale: num(body.hr_scale) ?? HIRES_DEFAULTS.scale, field: 'hr_scale', resize: null };
}

/** null unless enable_hr; throws a 422 naming the field for a scale out of 1–2, an unknown upscaler or a bad strength. */
export function planHires(body: Record<string, unknown>, width: number, height: number, upscalers: readonly string[], notes: string[]): HiresPlan | null {
  if (body.enable_hr !== true) return null;
  const { scale, field, resize } = chooseScale(body, width, height);
  if (scale < 1 || scale > 2) {
    const how = field === 'hr_scale' ? `${scale}` : `${scale.toFixed(3)} (${field} ${String(body[field])} ÷ ${field === 'hr_resize_x' ? `width ${width}` : `height ${height}`})`;
    throw bad(field, `${field}: the hires scale ${how} is out of range; this server's hires fix scales by 1 to 2.`);
  }

  const asked = typeof body.hr_upscaler === 'string' ? body.hr_upscaler : 'Latent';
  const choice = resolveUpscaler(asked, upscalers);
  if (!choice) {
    throw bad('hr_upscaler', `hr_upscaler "${asked}" is not available here; accepted: ${acceptedUpscalers(upscalers).join(', ')}.`);
  }
  if (choice.kind === 'latent' && !choice.exact) notes.push(`hr_upscaler "${choice.name}": the latents were upscaled bilinearly (as "Latent")`);
  if (choice.kind === 'model') notes.push(`hr_upscaler "${choice.name}" ran as ${choice.id}`);

  const d = num(body.denoising_strength) ?? HIRES_DEFAULTS.strength;
  if (d < 0 || d > 1) throw bad('denoising_strength', `denoising_strength ${d} is out of range; the hires pass takes 0 to 1.`);
  // 0 in A1111 keeps the upscaled image as it is; the pass here needs at least one step.
  const strength = Math.max(0.01, d);
  if (strength !== d) notes.push(`denoising_strength ${d} was raised to 0.01 (the hires pass runs at least one step)`);

  const params: Record<string, unknown> = { scale, strength, upscaler: choice.kind === 'latent' ? 'latent' : choice.id };
  const steps = num(body.hr_second_pass_steps) ?? 0;
  if (steps > 0) {
    params.steps = Math.min(100, steps);
    if (steps > 100) notes.push(`hr_second_pass_steps ${steps} was clamped to 100`);
  }
  // A1111 lets the second pass differ; here it repeats the first pass's settings.
  const same: [string, string, string][] = [
    ['hr_prompt', 'prompt', 'prompt'], ['hr_negative_prompt', 'negative_prompt', 'negative prompt'],
    ['hr_sampler_name', 'sampler_name', 'sampler'], ['hr_checkpoint_name', 'override_settings', 'checkpoint'],
  ];
  for (const [f, first, what] of same) {
    const v = body[f];
    if (typeof v === 'string' && v !== '' && !/^use same/i.test(v) && v !== body[first]) notes.push(`${f}: the hires pass used the first pass's ${what}`);
  }
  return { params, info: { scale, upscalerName: choice.name, upscaler: String(params.upscaler), strength, resize } };
}
