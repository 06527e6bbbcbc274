/**
 * data: URIs too large to pass around as strings: they come from the input store as a stream of
 * bytes (decoded here piece by piece, with exactly decodeDataUri's rules), or only their first
 * bytes are at hand (checked at submit: header, size estimate, image magic number).
 */
import { InvalidImageError } from '../tasks/invalid-image-error.js';
import { decodeDataUri, decodePercent, parseDataUriHeader, tooLarge, type MediaKind } from './data-uri.js';
import { SNIFF_BYTES, sniffImageFormat } from './sniff.js';

const B64_CHARS = /^[A-Za-z0-9+/]*$/;
/** A data: URI header longer than this is not one a client made for an image. */
const MAX_HEADER = 1024;

/** decodeDataUri for a URI that arrives as chunks of its (ASCII) text. */
export async function decodeDataUriChunks(chunks: AsyncIterable<Uint8Array>, maxBytes: number, field?: string, kind: MediaKind = 'image'): Promise<Buffer> {
  const fail = (reason: string) => new InvalidImageError(field, reason);
  let header: string | null = null;
  let text = '';
  let base64: Base64Stream | null = null;
  const rest: Uint8Array[] = [];
  for await (const chunk of chunks) {
    if (header === null) {
      text += Buffer.from(chunk).toString('latin1');
      const comma = text.indexOf(',');
      if (comma < 0) {
        if (text.length > MAX_HEADER) throw fail('data: URI has no "," before its payload');
        continue;
      }
      header = text.slice(0, comma);
      if (!/^data:/i.test(header)) throw fail('not a data: URI');
      if (parseDataUriHeader(header, fail, kind).isBase64) base64 = new Base64Stream(maxBytes, fail);
      const first = Buffer.from(text.slice(comma + 1), 'latin1');
      if (base64) base64.push(first);
      else rest.push(first);
      text = '';
    } else if (base64) {
      base64.push(chunk);
    } else {
      rest.push(chunk);
    }
  }
  if (header === null) throw fail(text.length ? 'data: URI has no "," before its payload' : 'data: URI is empty');
  // Percent-encoded payloads are rare and not streamed: the string decoder has their rules.
  if (!base64) return decodeDataUri(`${header},${Buffer.concat(rest).toString('utf8')}`, maxBytes, field, kind);
  const bytes = base64.end();
  if (bytes.length === 0) throw fail('data: URI is empty');
  return bytes;
}

/**
 * Base64 with decodeDataUri's rules: whitespace and %3D padding allowed, any other character not
 * in the alphabet refused, at most two '=' and only at the end, length % 4 ≠ 1.
 */
class Base64Stream {
  private carry = '';
  private chars = 0;
  private pads = 0;
  private out: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxBytes: number, private readonly fail: (r: string) => InvalidImageError) {}

  push(chunk: Uint8Array): void {
    let s = this.carry + Buffer.from(chunk).toString('latin1');
    // Keep a cut "%3D" for the next chunk.
    const cut = /%3?$/i.exec(s.slice(-2));
    this.carry = '';
    if (cut) {
      this.carry = s.slice(s.length - cut[0].length);
      s = s.slice(0, s.length - cut[0].length);
    }
    s = s.replace(/%3D/gi, '=').replace(/\s/g, '');
    const eq = s.indexOf('=');
    const data = eq < 0 ? s : s.slice(0, eq);
    const pad = eq < 0 ? '' : s.slice(eq);
    if (!B64_CHARS.test(data) || !/^=*$/.test(pad) || (this.pads > 0 && data.length > 0)) throw this.invalid();
    this.pads += pad.length;
    if (this.pads > 2) throw this.invalid();
    this.chars += s.length;
    const all = this.pending + data;
    const whole = all.length - (all.length % 4);
    this.pending = all.slice(whole);
    if (whole > 0) this.emit(Buffer.from(all.slice(0, whole), 'base64'));
  }

  end(): Buffer {
    if (this.carry) throw this.invalid(); // a "%" or "%3" that never became "%3D"
    if (this.chars % 4 === 1) throw this.invalid();
    if (this.pending) this.emit(Buffer.from(this.pending, 'base64'));
    return Buffer.concat(this.out, this.size);
  }

  private pending = '';

  private emit(b: Buffer): void {
    this.size += b.length;
    if (this.size > this.maxBytes) throw tooLarge(this.size, this.maxBytes, this.fail);
    this.out.push(b);
  }

  private invalid(): InvalidImageError {
    return this.fail('data: URI payload is not valid base64');
  }
}

/**
 * Checks a data: URI of `totalBytes` bytes from its first characters only: the header, the size
 * its length implies, and the magic number of the image (or video, with `kind` and `check`) it
 * starts with. Throws InvalidImageError.
 */
export function inspectDataUriHead(head: string, totalBytes: number, maxBytes: number, field: string,
  kind: MediaKind = 'image', check: (first: Uint8Array, field: string) => void = checkMagic): void {
  const fail = (reason: string) => new InvalidImageError(field, reason);
  if (!/^data:/i.test(head)) throw fail('is too long for a URL; send a large image as a data: URI');
  const comma = head.indexOf(',');
  if (comma < 0) throw fail('data: URI has no "," before its payload');
  const { isBase64 } = parseDataUriHeader(head.slice(0, comma), fail, kind);
  const payloadChars = totalBytes - Buffer.byteLength(head.slice(0, comma + 1));
  const atLeast = isBase64 ? Math.floor((payloadChars * 3) / 4) - 4 : Math.ceil(payloadChars / 3);
  // Base64 may carry whitespace; a margin of 1/64 keeps wrapped lines from being refused here.
  if (atLeast - Math.ceil(atLeast / 64) > maxBytes) throw tooLarge(atLeast, maxBytes, fail);
  let first: Buffer;
  const payload = head.slice(comma + 1);
  if (isBase64) {
    const clean = payload.replace(/%3D/gi, '=').replace(/\s/g, '');
    const data = clean.slice(0, Math.floor(Math.min(clean.length, Math.ceil(SNIFF_BYTES / 3) * 4) / 4) * 4);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data)) throw fail('data: URI payload is not valid base64');
    first = Buffer.from(data, 'base64');
  } else {
    first = decodePercent(payload.slice(0, SNIFF_BYTES * 3).replace(/%[0-9A-Fa-f]?$/, ''), SNIFF_BYTES * 3, fail);
  }
  check(first.subarray(0, SNIFF_BYTES), field);
}

/** Refuses bytes that do not start like an image the decoder accepts. */
export function checkMagic(bytes: Uint8Array, field: string): void {
  if (sniffImageFormat(bytes) === null) {
    throw new InvalidImageError(field, 'is not a PNG, JPEG, WebP, GIF, TIFF or AVIF/HEIF image (its first bytes say otherwise)');
  }
}
