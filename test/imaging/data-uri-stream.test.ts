/**
 * data: URIs read from the input store in chunks decode exactly as decodeDataUri decodes the
 * whole string (same bytes, same refusals), whatever the chunking; the submit-time check reads
 * only the head; the magic-number sniff knows every format the decoder accepts.
 */
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeDataUri } from '../../src/imaging/data-uri.js';
import { decodeDataUriChunks, inspectDataUriHead } from '../../src/imaging/data-uri-stream.js';
import { sniffImageFormat } from '../../src/imaging/sniff.js';
import { InvalidImageError } from '../../src/tasks/invalid-image-error.js';

let png: Buffer;
beforeAll(async () => {
  png = await sharp({ create: { width: 40, height: 30, channels: 4, background: '#c0ffee80' } }).png().toBuffer();
});

async function* chunked(text: string, size: number) {
  const b = Buffer.from(text, 'utf8');
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

async function outcome(p: () => Promise<Buffer> | Buffer): Promise<string> {
  try {
    return `ok:${(await p()).toString('hex')}`;
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidImageError);
    return `err:${(err as Error).message}`;
  }
}

describe('decodeDataUriChunks', () => {
  it('equals decodeDataUri for valid and broken URIs, in any chunking', async () => {
    const b64 = png.toString('base64');
    const uris = [
      `data:image/png;base64,${b64}`,
      `DATA:image/png;BASE64,${b64.replace(/(.{7})/g, '$1\r\n')}`,
      `data:image/png;name=x.png;base64,${b64.replace(/=/g, '%3D')}`,
      `data:image/png;base64,${b64.replace(/=+$/, '')}`,
      'data:image/png;base64,AQIDBA%3d%3D',
      `data:image/png,${[...png.subarray(0, 50)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')}`,
      'data:image/png;base64,AAAAA',
      'data:image/png;base64,AA=A',
      'data:image/png;base64,AA===',
      'data:image/png;base64,AA%3',
      'data:image/png;base64,iVBOR!!w0KGgo=',
      'data:text/plain;base64,AAAA',
      'data:image/png;base64,',
      'data:image/png;base64',
      `data:image/png;base64,${b64}`.replace('data:', 'http:'),
    ];
    for (const uri of uris) {
      const whole = await outcome(() => decodeDataUri(uri, 100_000, 'f'));
      for (const size of [1, 2, 3, 5, 64, 100_000]) {
        expect(await outcome(() => decodeDataUriChunks(chunked(uri, size), 100_000, 'f')), `${uri.slice(0, 60)} / ${size}`).toBe(whole);
      }
    }
  });

  it('refuses a payload over the byte cap without decoding all of it', async () => {
    const uri = `data:image/png;base64,${Buffer.alloc(30_000).toString('base64')}`;
    await expect(decodeDataUriChunks(chunked(uri, 4096), 10_000, 'f')).rejects.toThrow(/more than the limit of 10000 bytes/);
  });
});

describe('inspectDataUriHead', () => {
  it('checks the header, the implied size and the magic number from the first bytes only', () => {
    const uri = `data:image/png;base64,${png.toString('base64')}`;
    expect(() => inspectDataUriHead(uri.slice(0, 200), uri.length, 100_000, 'task_params.image_url')).not.toThrow();
    expect(() => inspectDataUriHead(uri.slice(0, 200), 10_000_000, 100_000, 'f')).toThrow(/more than the limit/);
    const text = `data:image/png;base64,${Buffer.from('hello, this is text and not a picture').toString('base64')}`;
    expect(() => inspectDataUriHead(text, text.length, 100_000, 'task_params.image_url')).toThrow(/^task_params\.image_url: is not a PNG/);
    expect(() => inspectDataUriHead('data:image/png;base64', 100, 100_000, 'f')).toThrow(/no ","/);
    expect(() => inspectDataUriHead('https://example.com/', 100_000, 100_000, 'f')).toThrow(/too long for a URL/);
    const pct = `data:image/png,${[...png.subarray(0, 40)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')}`;
    expect(() => inspectDataUriHead(pct.slice(0, 100), 100_000, 100_000, 'f')).not.toThrow();
  });
});

describe('sniffImageFormat', () => {
  it('knows every format the decoder accepts, and nothing else', async () => {
    const base = sharp({ create: { width: 16, height: 16, channels: 3, background: '#123456' } });
    const made: [string, Buffer][] = [
      ['png', await base.clone().png().toBuffer()],
      ['jpeg', await base.clone().jpeg().toBuffer()],
      ['webp', await base.clone().webp().toBuffer()],
      ['gif', await base.clone().gif().toBuffer()],
      ['tiff', await base.clone().tiff().toBuffer()],
      ['heif', await base.clone().avif().toBuffer()],
    ];
    for (const [format, bytes] of made) expect(sniffImageFormat(bytes.subarray(0, 16)), format).toBe(format);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>');
    for (const junk of [svg, Buffer.from('%PDF-1.7'), Buffer.alloc(16), Buffer.from('RIFF0000WAVE'), Buffer.from([0x89, 0x50])]) {
      expect(sniffImageFormat(junk)).toBeNull();
    }
  });
});
