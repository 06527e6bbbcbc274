/**
 * JSON body reading with the limits applied before parsing: content type, declared and
 * actual size, strict UTF-8 (invalid bytes are an error, not U+FFFD), then JSON.parse.
 */
import type { Context } from 'koa';
import { ApiError, badRequest } from '../tasks/errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export async function readJsonBody(ctx: Context, limitBytes: number): Promise<unknown> {
  const type = ctx.get('content-type');
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new ApiError('unsupported_media_type', 'Send the body as JSON with "Content-Type: application/json".');
  }
  const declared = Number(ctx.get('content-length'));
  if (Number.isFinite(declared) && declared > limitBytes) {
    ctx.req.resume();
    throw tooLarge(limitBytes);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limitBytes) {
        ctx.req.resume();
        throw tooLarge(limitBytes);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw badRequest('invalid_json', 'The request body could not be read completely (connection cut?).');
  }
  let textBody: string;
  try {
    textBody = utf8.decode(Buffer.concat(chunks, size));
  } catch {
    throw badRequest('invalid_json', 'The body is not valid UTF-8.');
  }
  try {
    return JSON.parse(textBody) as unknown;
  } catch (err) {
    throw badRequest('invalid_json', `The body is not valid JSON: ${(err as Error).message}`);
  }
}

function tooLarge(limit: number): ApiError {
  return new ApiError('payload_too_large', `The body is over the limit of ${limit} bytes; pass large images by URL.`);
}
