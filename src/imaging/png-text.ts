import zlib from 'node:zlib';
import { inNative } from '../runtime/native-gate.js';
import sharp from 'sharp';

/**
 * PNG text metadata (prompt, seed, model...) written into sharp's PNG output. sharp can only
 * write EXIF/XMP/ICC, not tEXt, so the chunks are spliced in here: each is
 * length (u32 BE) | type | data | CRC-32 of type+data, placed before IEND.
 * Latin-1 values go in tEXt (what most viewers show); anything else in iTXt (UTF-8).
 */

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let table: Uint32Array | null = null;

/** CRC-32 (the PNG/zlib polynomial), for Node versions without zlib.crc32. */
export function crc32Table(data: Uint8Array): number {
  if (table === null) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of data) crc = table[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// zlib.crc32 arrived in Node 20.15; package.json allows older 20.x.
const crc32: (data: Uint8Array) => number =
  typeof zlib.crc32 === 'function' ? (data) => zlib.crc32(data) : crc32Table;

function chunk(type: string, data: Buffer): Buffer {
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(typed.length + 8);
  out.writeUInt32BE(data.length, 0);
  typed.copy(out, 4);
  out.writeUInt32BE(crc32(typed), typed.length + 4);
  return out;
}

const LATIN1_PRINTABLE = /^[\x20-\x7e\xa1-\xff]+$/;

function textChunk(keyword: string, value: string): Buffer {
  // The PNG spec: keyword 1-79 Latin-1 printable characters, no leading/trailing/double spaces.
  if (keyword.length > 79 || !LATIN1_PRINTABLE.test(keyword) || /^ | $| {2}/.test(keyword)) {
    throw new Error(`PNG text keyword "${keyword}" is not 1-79 printable Latin-1 characters`);
  }
  // NUL separates fields in both chunk types; a stray one in a prompt is dropped, not fatal.
  const text = value.replace(/\0/g, '');
  const key = Buffer.from(`${keyword}\0`, 'latin1');
  if (/^[\x01-\xff]*$/.test(text)) {
    return chunk('tEXt', Buffer.concat([key, Buffer.from(text, 'latin1')]));
  }
  // iTXt: keyword\0, compression flag 0, method 0, empty language\0, empty translation\0, UTF-8.
  const header = Buffer.from([0, 0, 0, 0]);
  return chunk('iTXt', Buffer.concat([key, header, Buffer.from(text, 'utf8')]));
}

interface RawChunk {
  type: string;
  start: number;
  data: Buffer;
}

function* chunks(png: Buffer): Generator<RawChunk> {
  if (png.length < 8 || !png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG');
  for (let at = 8; at + 12 <= png.length; ) {
    const length = png.readUInt32BE(at);
    const end = at + 12 + length;
    if (end > png.length) throw new Error('PNG chunk runs past the end of the file');
    const typed = png.subarray(at + 4, at + 8 + length);
    if (crc32(typed) !== png.readUInt32BE(at + 8 + length)) throw new Error('PNG chunk CRC mismatch');
    yield { type: typed.toString('latin1', 0, 4), start: at, data: png.subarray(at + 8, at + 8 + length) };
    at = end;
  }
}

export function insertTextChunks(png: Buffer, text: Record<string, string>): Buffer {
  const entries = Object.entries(text);
  if (entries.length === 0) return png;
  for (const c of chunks(png)) {
    if (c.type === 'IEND') {
      const inserted = entries.map(([k, v]) => textChunk(k, v));
      return Buffer.concat([png.subarray(0, c.start), ...inserted, png.subarray(c.start)]);
    }
  }
  throw new Error('PNG has no IEND chunk');
}

/** tEXt, zTXt and iTXt entries of a PNG, keyword → text (later duplicates win). */
export function readTextChunks(png: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { type, data } of chunks(png)) {
    const nul = data.indexOf(0);
    if (nul < 0 || (type !== 'tEXt' && type !== 'zTXt' && type !== 'iTXt')) continue;
    const keyword = data.toString('latin1', 0, nul);
    if (type === 'tEXt') out[keyword] = data.toString('latin1', nul + 1);
    else if (type === 'zTXt') out[keyword] = zlib.inflateSync(data.subarray(nul + 2)).toString('latin1');
    else {
      const compressed = data[nul + 1] === 1;
      const lang = data.indexOf(0, nul + 3);
      const translated = data.indexOf(0, lang + 1);
      const body = data.subarray(translated + 1);
      out[keyword] = (compressed ? zlib.inflateSync(body) : body).toString('utf8');
    }
  }
  return out;
}

/** u8 HWC pixels → PNG, with optional text metadata (keyword → value). */
export async function encodePng(
  data: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4,
  textChunks?: Record<string, string>,
): Promise<Buffer> {
  // sharp writes 1- and 2-channel raw input as RGB unless told the colourspace is grey.
  const png = await inNative(() => {
    const img = sharp(data, { raw: { width, height, channels } });
    return (channels <= 2 ? img.toColourspace('b-w') : img).png().toBuffer();
  });
  return textChunks ? insertTextChunks(png, textChunks) : png;
}

/**
 * A zlib stream of stored (uncompressed) deflate blocks (RFC 1950/1951): a 2-byte header, blocks
 * of at most 65535 bytes each behind its 5-byte header, and the Adler-32 of the data. A copy and a
 * checksum, without setting up a compressor (zlib's state alone is a few hundred KB to allocate).
 */
export function zlibStored(data: Uint8Array): Buffer {
  const blocks = Math.max(1, Math.ceil(data.length / 65535));
  const out = Buffer.alloc(2 + blocks * 5 + data.length + 4);
  out[0] = 0x78; // deflate, 32 KB window
  out[1] = 0x01; // no dictionary, fastest; (0x78 · 256 + 0x01) % 31 = 0
  let o = 2;
  for (let k = 0; k < blocks; k++) {
    const start = k * 65535;
    const n = Math.min(65535, data.length - start);
    out[o] = k === blocks - 1 ? 1 : 0; // BFINAL, BTYPE 00 (stored)
    out.writeUInt16LE(n, o + 1);
    out.writeUInt16LE(~n & 0xffff, o + 3);
    out.set(data.subarray(start, start + n), o + 5);
    o += 5 + n;
  }
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length;) {
    // 5552: the most bytes before b can pass 2^32 (zlib's NMAX).
    const end = Math.min(data.length, i + 5552);
    for (; i < end; i++) {
      a += data[i];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  out.writeUInt32BE(((b << 16) | a) >>> 0, o);
  return out;
}

/**
 * A small RGB image as PNG on the calling thread (filter 0, fast deflate; `level` 0: stored
 * blocks, zlibStored): for live previews of a few thousand pixels, where sharp's pipeline set-up
 * costs more than the encoding.
 */
export function encodeSmallRgbPng(data: Uint8Array, width: number, height: number, level = 1): Buffer {
  if (data.length !== width * height * 3) throw new RangeError(`expected ${width * height * 3} RGB bytes, got ${data.length}`);
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', level === 0 ? zlibStored(raw) : zlib.deflateSync(raw, { level })), chunk('IEND', Buffer.alloc(0))]);
}
