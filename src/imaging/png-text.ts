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
