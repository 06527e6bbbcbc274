/**
 * `multipart/form-data` bodies (OpenAI's /images/edits), read with the body cap and parsed by
 * the runtime's own form-data parser (undici's, behind `Request.formData()`): no parser of our
 * own, no dependency.
 */
import type { Context } from 'koa';
import { ApiError } from '../../tasks/errors.js';

export async function readForm(ctx: Context, limitBytes: number): Promise<FormData> {
  const type = ctx.get('content-type');
  if (!/^multipart\/form-data\s*;/i.test(type)) {
    ctx.req.resume();
    throw new ApiError('unsupported_media_type', 'Send the image edit as multipart/form-data (image, mask, prompt, …), as the OpenAI SDK does.');
  }
  const declared = Number(ctx.get('content-length'));
  if (Number.isFinite(declared) && declared > limitBytes) {
    ctx.req.resume();
    throw new ApiError('payload_too_large', `The body is over the limit of ${limitBytes} bytes.`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) {
      ctx.req.resume();
      throw new ApiError('payload_too_large', `The body is over the limit of ${limitBytes} bytes.`);
    }
    chunks.push(chunk);
  }
  try {
    return await new Request('http://form.local/', { method: 'POST', headers: { 'content-type': type }, body: Buffer.concat(chunks, size) }).formData();
  } catch {
    throw new ApiError('invalid_request', 'The multipart/form-data body could not be parsed.');
  }
}
