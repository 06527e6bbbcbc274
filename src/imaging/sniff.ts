/**
 * Image formats by their first bytes (magic numbers), for a cheap check at submit: a data: URI
 * whose payload is not an image the decoder accepts is refused with 400 then, not accepted and
 * failed later. Covers what decode.ts accepts: PNG, JPEG, WebP, GIF, TIFF, AVIF/HEIF.
 */

/** Bytes that are enough to tell every format below apart. */
export const SNIFF_BYTES = 16;

const startsWith = (b: Uint8Array, sig: readonly number[], at = 0) => sig.every((x, i) => b[at + i] === x);
const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, to));

/** ISO-BMFF brands of the HEIF family (AVIF, HEIC and their sequence/variant brands). */
const HEIF_BRANDS = new Set(['avif', 'avis', 'heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1']);

/** The format the first bytes announce, or null when they are none of the accepted ones. */
export function sniffImageFormat(b: Uint8Array): 'png' | 'jpeg' | 'gif' | 'webp' | 'tiff' | 'heif' | null {
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(b, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (b.length >= 6 && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a')) return 'gif';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'webp';
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (b.length >= 12 && ascii(b, 4, 8) === 'ftyp' && HEIF_BRANDS.has(ascii(b, 8, 12))) return 'heif';
  return null;
}
