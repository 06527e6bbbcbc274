import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeDataUri } from '../../src/imaging/data-uri.js';
import { InvalidImageError } from '../../src/tasks/invalid-image-error.js';

let png: Buffer;
beforeAll(async () => {
  png = await sharp({ create: { width: 3, height: 2, channels: 3, background: '#c0ffee' } })
    .png()
    .toBuffer();
});

function refusal(ref: string, maxBytes = 10_000): InvalidImageError {
  try {
    decodeDataUri(ref, maxBytes, 'image_url');
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidImageError);
    return err as InvalidImageError;
  }
  throw new Error(`accepted ${ref.slice(0, 40)}`);
}

describe('decodeDataUri', () => {
  it('decodes base64 to the exact bytes, whatever the case of the prefix', () => {
    expect(decodeDataUri(`data:image/png;base64,${png.toString('base64')}`, 10_000)).toEqual(png);
    expect(decodeDataUri(`DATA:Image/PNG;BASE64,${png.toString('base64')}`, 10_000)).toEqual(png);
  });

  it('accepts wrapped lines, parameters before ;base64 and %3D padding', () => {
    const b64 = png.toString('base64');
    const wrapped = b64.replace(/(.{16})/g, '$1\r\n');
    expect(decodeDataUri(`data:image/png;base64,${wrapped}`, 10_000)).toEqual(png);
    expect(decodeDataUri(`data:image/png;name=x.png;base64,${b64}`, 10_000)).toEqual(png);
    const bytes = Buffer.from([1, 2, 3, 4]); // base64 "AQIDBA==": two padding characters
    expect(decodeDataUri('data:image/png;base64,AQIDBA%3D%3D', 10)).toEqual(bytes);
  });

  it('decodes percent-encoded payloads to raw bytes (not UTF-8)', () => {
    const encoded = [...png].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
    expect(decodeDataUri(`data:image/png,${encoded}`, 10_000)).toEqual(png);
    expect(decodeDataUri('data:image/png,ab%ff%00c', 10)).toEqual(Buffer.from([0x61, 0x62, 0xff, 0, 0x63]));
  });

  it('refuses bad base64 instead of skipping the bad characters', () => {
    const e = refusal('data:image/png;base64,iVBOR!!w0KGgo=');
    expect(e.message).toBe('image_url: data: URI payload is not valid base64');
    expect(e.code).toBe('invalid_image');
    expect(e.status).toBe(400);
    expect(e.field).toBe('image_url');
    expect(refusal('data:image/png;base64,AAAAA').message).toMatch(/not valid base64/);
    expect(refusal('data:image/png;base64,AA=A').message).toMatch(/not valid base64/);
  });

  it('refuses media types that are not images, naming the type', () => {
    expect(refusal('data:text/html;base64,PGgxPg==').message).toBe(
      'image_url: data: URI has media type "text/html"; only image/* is accepted',
    );
    expect(refusal('data:,hello').message).toMatch(/"text\/plain"; only image\/\*/);
    expect(refusal('data:application/octet-stream;base64,AAAA').message).toMatch(/application\/octet-stream/);
  });

  it('refuses payloads over the cap, before and after decoding', () => {
    const big = Buffer.alloc(3000, 7).toString('base64');
    expect(refusal(`data:image/png;base64,${big}`, 1000).message).toMatch(
      /image is \d+ bytes, more than the limit of 1000 bytes/,
    );
    // 1001 bytes: the estimate is borderline, the exact count decides.
    const edge = Buffer.alloc(1001, 1).toString('base64');
    expect(refusal(`data:image/png;base64,${edge}`, 1000).message).toMatch(/1001 bytes, more than/);
    expect(decodeDataUri(`data:image/png;base64,${Buffer.alloc(1000, 1).toString('base64')}`, 1000)).toHaveLength(1000);
    expect(refusal(`data:image/png,${'a'.repeat(1001)}`, 1000).message).toMatch(/more than the limit/);
  });

  it('refuses empty, comma-less and badly escaped URIs', () => {
    expect(refusal('data:image/png;base64,').message).toMatch(/is empty/);
    expect(refusal('data:image/png;base64').message).toMatch(/no "," before its payload/);
    expect(refusal('data:image/png,ab%4').message).toMatch(/broken %-escape at position 2/);
    expect(refusal('data:image/png,caf\u00e9').message).toMatch(/not %-escaped; use base64/);
  });
});
