/**
 * Checks on image references at the door, so an obviously broken reference is a 400 now
 * rather than a Failed task later: data: URIs are decoded (same parser the worker uses), URLs
 * parsed. Fetching (with the SSRF guard) and pixel decoding happen in the worker.
 */
import { badRequest } from '../tasks/errors.js';
import { decodeDataUri } from '../imaging/data-uri.js';
import { InvalidImageError } from '../tasks/invalid-image-error.js';
import type { TaskType } from '../tasks/types.js';

const IMAGE_FIELDS: Partial<Record<TaskType, string[]>> = {
  image_upscale: ['image_url'],
  face_swap: ['source_image', 'target_image'],
};

export function checkImageRefs(type: TaskType, params: Record<string, unknown>, maxBytes: number): void {
  for (const field of IMAGE_FIELDS[type] ?? []) {
    const ref = params[field];
    if (typeof ref !== 'string') continue;
    const where = `task_params.${field}`;
    try {
      if (/^data:/i.test(ref)) decodeDataUri(ref, maxBytes, where);
      else checkUrl(where, ref);
    } catch (err) {
      if (err instanceof InvalidImageError) throw badRequest('invalid_image', err.message);
      throw err;
    }
  }
}

function checkUrl(field: string, ref: string): void {
  let url: URL;
  try {
    url = new URL(ref);
  } catch {
    throw new InvalidImageError(field, 'is not a valid URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidImageError(field, 'only http and https URLs are fetched.');
  if (!url.hostname) throw new InvalidImageError(field, 'the URL has no host.');
  if (url.username || url.password) throw new InvalidImageError(field, 'URLs with credentials are not fetched.');
}
