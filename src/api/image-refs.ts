/**
 * Checks on image references at the door, so an obviously broken reference is a 400 now
 * rather than a Failed task later: data: URIs are decoded (same parser the worker uses) and
 * their first bytes must be an image format the decoder accepts; a data: URI that went to the
 * input store is checked from its first bytes (header, size, magic number); URLs are parsed.
 * Fetching (with the SSRF guard) and pixel decoding happen in the worker. Video fields get the same
 * treatment with a video container's magic number (MP4/MOV, WebM, GIF) and answer invalid_video.
 */
import { badRequest } from '../tasks/errors.js';
import { decodeDataUri } from '../imaging/data-uri.js';
import { checkMagic, inspectDataUriHead } from '../imaging/data-uri-stream.js';
import { InvalidImageError } from '../tasks/invalid-image-error.js';
import type { TaskType } from '../tasks/types.js';
import type { SpilledBody } from './body/spilled-body.js';
import { sniffVideoContainer } from '../video/sniff-video.js';

const IMAGE_FIELDS: Partial<Record<TaskType, readonly string[]>> = {
  image_upscale: ['image_url'],
  face_swap: ['source_image', 'target_image', 'reference_image'],
  background_removal: ['image_url', 'background'],
};

/** Fields naming an input video: the same sources and caps, a video container's magic number. */
const VIDEO_FIELDS: Partial<Record<TaskType, readonly string[]>> = {
  face_swap: ['target_video'],
};

/** The params of a task type that name input media, images or videos (and may hold stored inputs). */
export function imageFields(type: TaskType): readonly string[] {
  return [...(IMAGE_FIELDS[type] ?? []), ...(VIDEO_FIELDS[type] ?? [])];
}

function checkVideoMagic(bytes: Uint8Array, field: string): void {
  if (sniffVideoContainer(bytes) === null) {
    throw new InvalidImageError(field, 'is not an MP4, MOV, WebM or GIF video (its first bytes say otherwise)');
  }
}

export function checkImageRefs(type: TaskType, params: Record<string, unknown>, maxBytes: number, body?: SpilledBody): void {
  const videos = VIDEO_FIELDS[type] ?? [];
  for (const field of imageFields(type)) {
    const ref = params[field];
    const video = videos.includes(field);
    // background_removal's `background` may be a colour ("#00ff00") rather than an image.
    if (typeof ref !== 'string' || ref.startsWith('#')) continue;
    const where = `task_params.${field}`;
    try {
      const spill = body?.spillOf(ref);
      const kind = video ? 'video' : 'image';
      const magic = video ? checkVideoMagic : checkMagic;
      if (spill) inspectDataUriHead(spill.head, spill.bytes, maxBytes, where, kind, magic);
      else if (/^data:/i.test(ref)) magic(decodeDataUri(ref, maxBytes, where, kind), where);
      else checkUrl(where, ref);
    } catch (err) {
      if (err instanceof InvalidImageError) throw badRequest(video ? 'invalid_video' : 'invalid_image', err.message);
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
