/**
 * An 8-bit RGB PNG whose image data is stored, not compressed: for live previews, written between
 * two denoise steps on the loop's thread. The caller lays the rows out once (each behind its filter
 * byte, 0), and the file is assembled in one buffer with one copy of them: no compressor to set up
 * (zlib's state alone is a few hundred KB) and no intermediate buffers. Deflate would gain little
 * on a preview anyway (the early ones are mostly noise).
 */
import zlib from 'node:zlib';
import { crc32Table } from './png-text.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Deflate's largest stored block. */
const BLOCK = 65535;
// zlib.crc32 arrived in Node 20.15; package.json allows older 20.x.
const crc32: (data: Uint8Array) => number = typeof zlib.crc32 === 'function' ? (data) => zlib.crc32(data) : crc32Table;

/** Bytes of `width` × `height` RGB rows, each behind its filter byte: what storedRgbPng takes. */
export function pngRowBytes(width: number, height: number): number {
  return (width * 3 + 1) * height;
}

function adler32(data: Uint8Array): number {
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
  return ((b << 16) | a) >>> 0;
}

/** Writes a chunk's length and type at `at`; its data follows; returns where the data starts. */
function chunkHead(out: Buffer, at: number, type: string, length: number): number {
  out.writeUInt32BE(length, at);
  out.write(type, at + 4, 'latin1');
  return at + 8;
}

/** Writes the CRC of the chunk whose type starts at `typeAt` and whose data ends at `end`; returns the chunk's end. */
function chunkCrc(out: Buffer, typeAt: number, end: number): number {
  out.writeUInt32BE(crc32(out.subarray(typeAt, end)), end);
  return end + 4;
}

/** The PNG of `rows` (pngRowBytes(width, height) bytes, filter bytes included). */
export function storedRgbPng(rows: Uint8Array, width: number, height: number): Buffer {
  if (rows.length !== pngRowBytes(width, height)) throw new RangeError(`expected ${pngRowBytes(width, height)} row bytes, got ${rows.length}`);
  const blocks = Math.max(1, Math.ceil(rows.length / BLOCK));
  // zlib stream: 2-byte header, blocks (5-byte header each), Adler-32.
  const zlen = 2 + blocks * 5 + rows.length + 4;
  const out = Buffer.allocUnsafe(8 + (12 + 13) + (12 + zlen) + 12);
  out.set(SIGNATURE, 0);
  let at = chunkHead(out, 8, 'IHDR', 13);
  out.writeUInt32BE(width, at);
  out.writeUInt32BE(height, at + 4);
  out.set([8, 2, 0, 0, 0], at + 8); // 8-bit, RGB, deflate, filter method 0, no interlace
  at = chunkCrc(out, 12, at + 13);
  const idatType = at + 4;
  let o = chunkHead(out, at, 'IDAT', zlen);
  out[o++] = 0x78; // deflate, 32 KB window
  out[o++] = 0x01; // fastest, no dictionary: (0x78 · 256 + 0x01) % 31 = 0
  for (let k = 0; k < blocks; k++) {
    const start = k * BLOCK;
    const n = Math.min(BLOCK, rows.length - start);
    out[o] = k === blocks - 1 ? 1 : 0; // BFINAL; BTYPE 00: stored
    out.writeUInt16LE(n, o + 1);
    out.writeUInt16LE(~n & 0xffff, o + 3);
    out.set(rows.subarray(start, start + n), o + 5);
    o += 5 + n;
  }
  out.writeUInt32BE(adler32(rows), o);
  at = chunkCrc(out, idatType, o + 4);
  const iendType = at + 4;
  at = chunkHead(out, at, 'IEND', 0);
  chunkCrc(out, iendType, at);
  return out;
}
