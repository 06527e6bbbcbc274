/**
 * `POST /v1/images/generations` → n image_creation tasks (random seeds, like OpenAI), the
 * answer `{created, data: [{url | b64_json}], size, output_format}` once they are done.
 * `size` is fitted to what the models take and reported as made; `output_format` jpeg/webp
 * re-encodes the PNG the pipeline wrote.
 */
import sharp from 'sharp';
import type { TaskRecord } from '../../tasks/types.js';
import type { TaskRequest } from '../call-runner.js';
import { CompatError, failedTaskError } from '../errors.js';
import { fitSize } from '../size.js';
import type { ModelChoice } from './model-names.js';

export interface GenerationPlan {
  requests: TaskRequest[];
  format: 'url' | 'b64_json';
  output: 'png' | 'jpeg' | 'webp';
  compression: number | undefined;
}

export function planGenerations(body: Record<string, unknown>, model: ModelChoice): GenerationPlan {
  if (body.stream === true) throw CompatError.field('stream', 'Streaming image generation is not available here; leave stream unset.');
  const params: Record<string, unknown> = { prompt: body.prompt };
  if (model.id) params.model = model.id;
  const size = typeof body.size === 'string' ? body.size.trim() : 'auto';
  if (size !== 'auto') {
    const m = /^(\d{1,5})x(\d{1,5})$/.exec(size);
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw CompatError.field('size', `size must be "WIDTHxHEIGHT" (e.g. 1024x1024) or "auto", not "${size}".`);
    const fitted = fitSize(Number(m[1]), Number(m[2]));
    params.width = fitted.width;
    params.height = fitted.height;
  }
  const n = typeof body.n === 'number' ? body.n : 1;
  const format = body.response_format === 'url' || body.response_format === 'b64_json'
    ? body.response_format
    : /^dall-e-/i.test(model.name) ? 'url' : 'b64_json';
  const output = body.output_format === 'jpeg' || body.output_format === 'webp' ? body.output_format : 'png';
  return {
    requests: Array.from({ length: n }, () => ({ task_type: 'image_creation', task_params: { ...params } })),
    format,
    output,
    compression: typeof body.output_compression === 'number' ? body.output_compression : undefined,
  };
}

/** The PNG as asked: unchanged, or re-encoded to JPEG / WebP. */
export async function encodeAs(png: Buffer, plan: GenerationPlan): Promise<Buffer> {
  if (plan.output === 'png') return png;
  const quality = plan.compression ?? 90;
  return plan.output === 'jpeg' ? sharp(png).jpeg({ quality }).toBuffer() : sharp(png).webp({ quality }).toBuffer();
}

/** Failed → the task's error (its reason in the message); all cancelled → 409 cancelled. */
export function completedOrThrow(records: readonly TaskRecord[]): TaskRecord[] {
  const failed = records.find((r) => r.status === 'Failed');
  if (failed) throw failedTaskError(failed);
  const done = records.filter((r) => r.status === 'Completed');
  if (done.length === 0) throw CompatError.of('cancelled', 'The image tasks were cancelled before they finished.');
  return done;
}
