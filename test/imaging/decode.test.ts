import { readFileSync } from 'node:fs';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/imaging/decode.js';
import { InvalidImageError } from '../../src/tasks/invalid-image-error.js';

const FIXTURES = new URL('../fixtures/images', import.meta.url).pathname;
const opts = { maxPixels: 4_000_000, field: 'image_url' };
const fixture = (name: string) => readFileSync(`${FIXTURES}/${name}`);

async function refusal(bytes: Buffer, o = opts): Promise<string> {
  const err = await decodeImage(bytes, o).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InvalidImageError);
  expect((err as InvalidImageError).field).toBe(o.field);
  return (err as Error).message;
}

describe('decodeImage', () => {
  it.each([
    ['portrait_astronaut.jpg', 512, 512, 3],
    ['group_apollo11.jpg', 600, 471, 3],
    ['noface_rocket.jpg', 640, 427, 3],
    ['lowres_bryan.png', 115, 115, 4],
  ])('decodes %s to %ix%i with %i channels', async (name, width, height, channels) => {
    const img = await decodeImage(fixture(name), opts);
    expect([img.width, img.height, img.channels, img.hasAlpha]).toEqual([width, height, channels, channels === 4]);
    expect(img.data.length).toBe(width * height * channels);
    // The pixels own their ArrayBuffer, so a worker can transfer it.
    expect(img.data.byteOffset).toBe(0);
    expect(img.data.buffer.byteLength).toBe(img.data.length);
    // Same pixels as sharp's own straightforward decode.
    const ref = await sharp(fixture(name)).raw().toBuffer();
    expect(Buffer.from(img.data).equals(ref)).toBe(true);
  });

  it('keeps alpha values exactly (the fixture is opaque RGBA; a synthetic one is not)', async () => {
    const bryan = await decodeImage(fixture('lowres_bryan.png'), opts);
    for (let i = 3; i < bryan.data.length; i += 4) expect(bryan.data[i]).toBe(255);
    const rgba = Buffer.from([255, 0, 0, 0, 0, 255, 0, 128, 0, 0, 255, 255]);
    const png = await sharp(rgba, { raw: { width: 3, height: 1, channels: 4 } }).png().toBuffer();
    const img = await decodeImage(png, opts);
    expect([img.channels, img.hasAlpha]).toEqual([4, true]);
    expect(Buffer.from(img.data).equals(rgba)).toBe(true);
  });

  it('turns grey into RGB with equal channels, and grey+alpha into RGBA', async () => {
    const grey = await sharp(Buffer.from([0, 64, 128, 255, 7, 200]), { raw: { width: 3, height: 2, channels: 1 } })
      .toColourspace('b-w').png().toBuffer();
    expect((await sharp(grey).metadata()).channels).toBe(1);
    const rgb = await decodeImage(grey, opts);
    expect(rgb.channels).toBe(3);
    expect([...rgb.data]).toEqual([0, 64, 128, 255, 7, 200].flatMap((v) => [v, v, v]));

    const greyAlpha = await sharp(Buffer.from([10, 20, 30, 255]), { raw: { width: 2, height: 1, channels: 2 } })
      .toColourspace('b-w').png().toBuffer();
    expect((await sharp(greyAlpha).metadata()).channels).toBe(2);
    const rgba = await decodeImage(greyAlpha, opts);
    expect([rgba.channels, rgba.hasAlpha, ...rgba.data]).toEqual([4, true, 10, 10, 10, 20, 30, 30, 30, 255]);
  });

  it('reduces 16-bit PNGs to 8 bits per channel', async () => {
    const deep = await sharp({ create: { width: 2, height: 2, channels: 3, background: { r: 200, g: 100, b: 10 } } })
      .toColourspace('rgb16').png().toBuffer();
    expect((await sharp(deep).metadata()).depth).toBe('ushort');
    const img = await decodeImage(deep, opts);
    expect([...img.data.subarray(0, 3)]).toEqual([200, 100, 10]);
  });

  it('applies EXIF orientation 6 (rotate 90° clockwise)', async () => {
    // 40x20: left half red, right half blue. Shown upright it is 20x40, red on top.
    const px = Buffer.alloc(40 * 20 * 3);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 40; x++) px.set(x < 20 ? [255, 0, 0] : [0, 0, 255], (y * 40 + x) * 3);
    const jpeg = await sharp(px, { raw: { width: 40, height: 20, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);
    const img = await decodeImage(jpeg, opts);
    expect([img.width, img.height]).toEqual([20, 40]);
    const at = (x: number, y: number) => [...img.data.subarray((y * 20 + x) * 3, (y * 20 + x) * 3 + 3)];
    expect(at(10, 5)[0]).toBeGreaterThan(200); // top: red
    expect(at(10, 5)[2]).toBeLessThan(50);
    expect(at(10, 34)[2]).toBeGreaterThan(200); // bottom: blue
    expect(at(10, 34)[0]).toBeLessThan(50);
  });

  it('refuses a decompression bomb from its header: a small PNG declaring 20000x20000', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer();
    // Rewrite IHDR's width and height (bytes 16..23) and its CRC (bytes 29..32).
    const bomb = Buffer.from(png);
    bomb.writeUInt32BE(20000, 16);
    bomb.writeUInt32BE(20000, 20);
    bomb.writeUInt32BE(zlib.crc32(bomb.subarray(12, 29)), 29);
    expect(bomb.length).toBeLessThan(200);
    expect((await sharp(bomb, { limitInputPixels: false }).metadata()).width).toBe(20000);
    expect(await refusal(bomb)).toBe(
      'image_url: image is 20000x20000 (400000000 pixels), above the limit of 4000000 pixels',
    );
  });

  it('refuses a real image over a smaller pixel cap', async () => {
    expect(await refusal(fixture('portrait_astronaut.jpg'), { maxPixels: 100_000, field: 'source_image' })).toBe(
      'source_image: image is 512x512 (262144 pixels), above the limit of 100000 pixels',
    );
  });

  it('refuses bytes that are not an image, SVG documents, and a corrupt body', async () => {
    expect(await refusal(Buffer.from('<html>not an image</html>'))).toBe(
      'image_url: is not an image sharp can read (use PNG, JPEG or WebP)',
    );
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
    expect(await refusal(svg)).toBe('image_url: format "svg" is not accepted; use PNG, JPEG or WebP');
    // A PNG whose image data is cut off after the header.
    const png = await sharp(fixture('lowres_bryan.png')).png().toBuffer();
    expect(await refusal(png.subarray(0, 100))).toMatch(/^image_url: could not be decoded: /);
  });
});
