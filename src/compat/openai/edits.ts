/**
 * `POST /v1/images/edits` → image_creation tasks with an init image: img2img, or inpainting when
 * there is a mask. OpenAI's mask marks what to edit by TRANSPARENCY (alpha 0 = edit; dall-e-2
 * also reads the image's own alpha when no mask is sent); image_creation's mask is white where
 * to repaint, so the alpha channel is turned into that here. The rest (n, size, model,
 * response_format, output_format) is the generations request's.
 */
import sharp from 'sharp';
import { CompatError } from '../errors.js';
import { fitSize } from '../size.js';
import { planGenerations, type GenerationPlan } from './generations.js';
import type { ModelChoice } from './model-names.js';

/** The text fields of the form, typed as the JSON generations body would be. */
export function editBody(form: FormData): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [k, v] of form.entries()) {
    if (typeof v !== 'string' || k === 'image' || k === 'image[]' || k === 'mask') continue;
    body[k] = k === 'n' || k === 'output_compression' ? Number(v) : v;
  }
  return body;
}

async function fileBytes(form: FormData, names: readonly string[], field: string, required: boolean): Promise<Buffer | null> {
  for (const name of names) {
    const v = form.get(name);
    if (v && typeof v !== 'string') return Buffer.from(await v.arrayBuffer());
  }
  if (required) throw CompatError.field(field, `${field} is required: send it as a file part of the form.`);
  return null;
}

/** White where alpha is 0 (what OpenAI edits), black elsewhere; null when nothing is transparent. */
async function maskFromAlpha(png: Buffer): Promise<Buffer | null> {
  const img = sharp(png);
  const meta = await img.metadata().catch(() => null);
  if (!meta) throw CompatError.field('mask', 'mask is not an image (send a PNG with transparency)');
  if (!meta.hasAlpha) return null;
  const alpha = img.ensureAlpha().extractChannel(3);
  const edited = await alpha.clone().threshold(1).negate().png().toBuffer();
  const stats = await sharp(edited).stats();
  return stats.channels[0]!.max > 0 ? edited : null;
}

export async function planEdits(form: FormData, body: Record<string, unknown>, model: ModelChoice): Promise<GenerationPlan> {
  const image = (await fileBytes(form, ['image', 'image[]'], 'image', true))!;
  const meta = await sharp(image).metadata().catch(() => null);
  if (!meta?.width || !meta.height) throw CompatError.field('image', 'image is not an image (send a PNG, JPEG or WebP file)');
  const maskFile = await fileBytes(form, ['mask'], 'mask', false);
  const mask = await maskFromAlpha(maskFile ?? image);
  if (maskFile && !mask) throw CompatError.field('mask', 'mask has no transparent pixels: transparency marks what to edit');
  if (body.size === undefined || body.size === 'auto') {
    const fitted = fitSize(meta.width, meta.height);
    body.size = `${fitted.width}x${fitted.height}`;
  }
  const plan = planGenerations(body, model);
  const extra: Record<string, unknown> = { init_image: `data:image/png;base64,${image.toString('base64')}`, resize_mode: 'stretch' };
  if (mask) {
    extra.mask_image = `data:image/png;base64,${mask.toString('base64')}`;
    extra.strength = 1; // the masked region is made anew, as OpenAI's edit does
  }
  plan.requests = plan.requests.map((r) => ({ ...r, task_params: { ...r.task_params, ...extra } }));
  return plan;
}
