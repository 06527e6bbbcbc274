import { InvalidImageError } from '../tasks/invalid-image-error.js';

/**
 * `data:` URIs (RFC 2397) carrying an image. Strict on purpose: Buffer.from(s, 'base64') skips
 * characters it does not know, which would turn a corrupt payload into a confusing decode error
 * later; here the client is told the payload itself is bad.
 */

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const PERCENT_ESCAPE = /%([0-9A-Fa-f]{2})/y;

/** What a data: URI may carry: an image (image/*), or a video (video/*, or image/gif for animated GIFs). */
export type MediaKind = 'image' | 'video';

export function decodeDataUri(ref: string, maxBytes: number, field?: string, kind: MediaKind = 'image'): Buffer {
  const fail = (reason: string) => new InvalidImageError(field, reason);
  if (!/^data:/i.test(ref)) throw fail('not a data: URI');
  const comma = ref.indexOf(',');
  if (comma < 0) throw fail('data: URI has no "," before its payload');
  const { isBase64 } = parseDataUriHeader(ref.slice(0, comma), fail, kind);

  const payload = ref.slice(comma + 1);
  const bytes = isBase64
    ? decodeBase64(payload, maxBytes, fail)
    : decodePercent(payload, maxBytes, fail);
  if (bytes.length === 0) throw fail('data: URI is empty');
  if (bytes.length > maxBytes) throw tooLarge(bytes.length, maxBytes, fail);
  return bytes;
}

/** `data:<media type>[;param…][;base64]` (the part before the comma): image/* only (or video/* and image/gif for a video). */
export function parseDataUriHeader(header: string, fail: (reason: string) => InvalidImageError, kind: MediaKind = 'image'): { mediaType: string; isBase64: boolean } {
  const params = header.slice(5).split(';').map((p) => p.trim());
  const isBase64 = params.length > 1 && params[params.length - 1].toLowerCase() === 'base64';
  const mediaType = params[0].toLowerCase();
  if (kind === 'video' ? !/^video\/[a-z0-9.+-]+$/.test(mediaType) && mediaType !== 'image/gif' : !/^image\/[a-z0-9.+-]+$/.test(mediaType)) {
    const allowed = kind === 'video' ? 'video/* (or image/gif)' : 'image/*';
    throw fail(`data: URI has media type "${mediaType || 'text/plain'}"; only ${allowed} is accepted`);
  }
  return { mediaType, isBase64 };
}

export function tooLarge(size: number, maxBytes: number, fail: (r: string) => InvalidImageError) {
  return fail(`image is ${size} bytes, more than the limit of ${maxBytes} bytes`);
}

function decodeBase64(
  payload: string,
  maxBytes: number,
  fail: (r: string) => InvalidImageError,
): Buffer {
  // Clients often wrap base64 lines or percent-encode padding; both are harmless.
  const text = payload.replace(/%3D/gi, '=').replace(/[\s]/g, '');
  // Check the size before allocating: a payload of n characters decodes to about 3n/4 bytes.
  const estimate = Math.floor((text.length * 3) / 4);
  if (estimate - 2 > maxBytes) throw tooLarge(estimate, maxBytes, fail);
  if (!BASE64.test(text) || text.length % 4 === 1) {
    throw fail('data: URI payload is not valid base64');
  }
  return Buffer.from(text, 'base64');
}

export function decodePercent(
  payload: string,
  maxBytes: number,
  fail: (r: string) => InvalidImageError,
): Buffer {
  // Each output byte takes 1 to 3 input characters.
  const atLeast = Math.ceil(payload.length / 3);
  if (atLeast > maxBytes) throw tooLarge(atLeast, maxBytes, fail);
  // decodeURIComponent rejects bytes that are not UTF-8, and image bytes rarely are; decode
  // %XX escapes to raw bytes instead.
  const out = Buffer.alloc(payload.length);
  let n = 0;
  for (let i = 0; i < payload.length; ) {
    const ch = payload.charCodeAt(i);
    if (ch === 0x25) {
      PERCENT_ESCAPE.lastIndex = i;
      const m = PERCENT_ESCAPE.exec(payload);
      if (m === null) throw fail(`data: URI has a broken %-escape at position ${i}`);
      out[n++] = parseInt(m[1], 16);
      i += 3;
    } else if (ch > 0x7f) {
      throw fail('data: URI has characters that are not %-escaped; use base64');
    } else {
      out[n++] = ch;
      i += 1;
    }
  }
  return out.subarray(0, n);
}
