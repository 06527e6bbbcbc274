import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodePng } from '../../src/imaging/decode.js';
import { crc32Table, insertTextChunks, readTextChunks } from '../../src/imaging/png-text.js';

function chunkTypes(png: Buffer): string[] {
  const types: string[] = [];
  for (let at = 8; at < png.length; at += 12 + png.readUInt32BE(at)) types.push(png.toString('latin1', at + 4, at + 8));
  return types;
}

const W = 8;
const H = 4;
function gradient(channels: 3 | 4): Uint8Array {
  const px = new Uint8Array(W * H * channels);
  for (let i = 0; i < px.length; i++) px[i] = (i * 37) % 256;
  return px;
}

describe('encodePng with text chunks', () => {
  const text = {
    Software: 'Back.Serv',
    prompt: 'a naïve cat, "quoted", 100% — on the moon ☃ 漢字',
    seed: '42',
    'backserv:model': 'realesrgan-x4fast',
    multiline: 'line one\nline two',
  };

  it('round-trips the text and sharp still decodes the exact pixels', async () => {
    const rgb = gradient(3);
    const png = await encodePng(rgb, W, H, 3, text);
    expect(readTextChunks(png)).toEqual(text);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([W, H, 3]);
    expect(Buffer.from(rgb).equals(data)).toBe(true);
  });

  it('uses tEXt for Latin-1 values and iTXt for the rest, all before IEND', async () => {
    const png = await encodePng(gradient(3), W, H, 3, text);
    const types = chunkTypes(png);
    expect(types[0]).toBe('IHDR');
    expect(types.at(-1)).toBe('IEND');
    const textTypes = types.filter((t) => t === 'tEXt' || t === 'iTXt');
    // Only the prompt (snowman, CJK, em dash) needs UTF-8.
    expect(textTypes.sort()).toEqual(['iTXt', 'tEXt', 'tEXt', 'tEXt', 'tEXt']);
    expect(types.indexOf('IDAT')).toBeLessThan(types.indexOf('tEXt'));
  });

  it('keeps alpha and writes no chunks when none are asked for', async () => {
    const rgba = gradient(4);
    const png = await encodePng(rgba, W, H, 4);
    expect(readTextChunks(png)).toEqual({});
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(4);
    expect(Buffer.from(rgba).equals(data)).toBe(true);
  });

  it('drops NUL characters from values and refuses invalid keywords', async () => {
    const png = await encodePng(gradient(3), W, H, 3, { note: 'a\0b' });
    expect(readTextChunks(png)).toEqual({ note: 'ab' });
    for (const keyword of ['', ' lead', 'trail ', 'two  spaces', 'k'.repeat(80), 'snow☃']) {
      await expect(encodePng(gradient(3), W, H, 3, { [keyword]: 'x' })).rejects.toThrow(/PNG text keyword/);
    }
  });

  it('detects a corrupted chunk by its CRC', async () => {
    const png = insertTextChunks(await encodePng(gradient(3), W, H, 3), { seed: '7' });
    const at = png.indexOf(Buffer.from('tEXtseed'));
    expect(at).toBeGreaterThan(0);
    const bad = Buffer.from(png);
    bad[at + 9] ^= 1; // flip a bit in the data
    expect(() => readTextChunks(bad)).toThrow(/CRC mismatch/);
    expect(() => readTextChunks(Buffer.from('not a png at all'))).toThrow(/not a PNG/);
  });
});

describe('crc32Table (fallback for Node < 20.15)', () => {
  it('matches zlib.crc32 and the standard check value', () => {
    expect(crc32Table(Buffer.from('123456789'))).toBe(0xcbf43926);
    for (const n of [0, 1, 13, 1000]) {
      const data = randomBytes(n);
      expect(crc32Table(data)).toBe(zlib.crc32(data));
    }
  });
});
