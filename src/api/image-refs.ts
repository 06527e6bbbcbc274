/**
 * Cheap checks on image references at the door, so an obviously broken reference is a 400
 * now rather than a Failed task later. Fetching (with the SSRF guard) and decoding happen in
 * the worker.
 */
import { badRequest } from '../errors.js';
import type { TaskType } from '../tasks/types.js';

const IMAGE_FIELDS: Partial<Record<TaskType, string[]>> = {
  image_upscale: ['image_url'],
  face_swap: ['source_image', 'target_image'],
};

const DATA_URI = /^data:(image\/[a-z0-9.+-]+)((?:;[a-z0-9-]+=[^;,]*)*)(;base64)?,(.*)$/is;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const invalidImage = (field: string, why: string) =>
  badRequest('invalid_image', `task_params.${field}: ${why}`);

export function checkImageRefs(type: TaskType, params: Record<string, unknown>, maxBytes: number): void {
  for (const field of IMAGE_FIELDS[type] ?? []) {
    const ref = params[field];
    if (typeof ref !== 'string') continue;
    if (ref.slice(0, 5).toLowerCase() === 'data:') checkDataUri(field, ref, maxBytes);
    else checkUrl(field, ref);
  }
}

function checkDataUri(field: string, ref: string, maxBytes: number): void {
  const m = DATA_URI.exec(ref);
  if (!m) throw invalidImage(field, 'a data: URI must look like data:image/png;base64,....');
  const payload = m[4].replace(/\s+/g, '');
  if (m[3]) {
    if (payload.length === 0 || payload.length % 4 === 1 || !BASE64.test(payload)) {
      throw invalidImage(field, 'the data: URI is not valid base64.');
    }
    if ((payload.length * 3) / 4 > maxBytes) throw invalidImage(field, `the image is over ${maxBytes} bytes.`);
  } else if (payload.length === 0) {
    throw invalidImage(field, 'the data: URI is empty.');
  }
}

function checkUrl(field: string, ref: string): void {
  let url: URL;
  try {
    url = new URL(ref);
  } catch {
    throw invalidImage(field, 'not a valid URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidImage(field, 'only http and https URLs are fetched.');
  if (!url.hostname) throw invalidImage(field, 'the URL has no host.');
  if (url.username || url.password) throw invalidImage(field, 'URLs with credentials are not fetched.');
}
