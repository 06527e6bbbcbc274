import sharp, { type Metadata } from 'sharp';
import { type DecodedImage } from './decoded-image.js';
import { CancelledError } from '../tasks/task-errors.js';
import { inNative } from '../runtime/native-gate.js';
import { InvalidImageError } from '../tasks/invalid-image-error.js';

export type { DecodedImage };
// encodePng lives with the PNG chunk code; re-exported so both codec directions import from here.
export { encodePng } from './png-text.js';

/**
 * Raster formats we take from clients. Not SVG/PDF: those are documents that can reference
 * other files and whose pixel size is whatever they declare.
 */
const FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif']);

/**
 * Decodes untrusted bytes to 8-bit RGB or RGBA, upright (EXIF orientation applied). The pixel
 * cap is checked twice: from the header first, for a message that says the size, and by
 * sharp's own `limitInputPixels`, which refuses before allocating if a header lies about it.
 */
export async function decodeImage(
  bytes: Buffer,
  opts: { maxPixels: number; field: string },
): Promise<DecodedImage> {
  const { field, maxPixels } = opts;
  let meta: Metadata;
  try {
    meta = await inNative(() => sharp(bytes, { limitInputPixels: false }).metadata());
  } catch (err) {
    if (err instanceof CancelledError) throw err;
    throw new InvalidImageError(field, 'is not an image sharp can read (use PNG, JPEG or WebP)', {
      cause: err,
    });
  }
  if (!meta.format || !FORMATS.has(meta.format)) {
    throw new InvalidImageError(field, `format "${meta.format}" is not accepted; use PNG, JPEG or WebP`);
  }
  const { width = 0, height = 0 } = meta;
  if (width * height > maxPixels) {
    throw new InvalidImageError(
      field,
      `image is ${width}x${height} (${width * height} pixels), above the limit of ${maxPixels} pixels`,
    );
  }
  const hasAlpha = meta.hasAlpha === true;
  try {
    const pipeline = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' })
      .rotate()
      .toColourspace('srgb');
    const { data, info } = await inNative(() => (hasAlpha ? pipeline.ensureAlpha() : pipeline.removeAlpha())
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true }));
    if (info.channels !== 3 && info.channels !== 4) throw new Error(`${info.channels} channels`);
    return { data: ownBuffer(data), width: info.width, height: info.height, channels: info.channels, hasAlpha };
  } catch (err) {
    if (err instanceof CancelledError) throw err;
    // libvips' own words stay in the log (cause); the client learns what to change.
    throw new InvalidImageError(field, 'could not be decoded: the file is damaged or truncated', { cause: err });
  }
}

/** Pixels that own their whole ArrayBuffer, so a worker can transfer them without copying. */
function ownBuffer(buf: Buffer): Uint8Array {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength) {
    return new Uint8Array(buf.buffer, 0, buf.byteLength);
  }
  return new Uint8Array(buf);
}
