/**
 * The three outputs of background removal from the picture and its matte: `rgba` (the picture
 * with the matte as alpha, multiplied into an existing alpha), `mask` (the matte as a grey
 * image) and `composite` (the cut-out over a colour or a background picture, "over" blending).
 */
import type { DecodedImage } from '../../imaging/decoded-image.js';

export interface Composed {
  data: Uint8Array;
  channels: 1 | 3 | 4;
}

const toByte = (v: number) => Math.min(255, Math.max(0, Math.round(v)));

/** The alpha actually used: the matte times any alpha the input already had. */
function alphaAt(img: DecodedImage, matte: Float32Array, i: number): number {
  return img.hasAlpha ? matte[i] * (img.data[i * 4 + 3] / 255) : matte[i];
}

export function composeRgba(img: DecodedImage, matte: Float32Array): Composed {
  const n = img.width * img.height;
  const out = new Uint8Array(n * 4);
  for (let i = 0, j = 0; i < n; i++, j += img.channels) {
    out[i * 4] = img.data[j];
    out[i * 4 + 1] = img.data[j + 1];
    out[i * 4 + 2] = img.data[j + 2];
    out[i * 4 + 3] = toByte(alphaAt(img, matte, i) * 255);
  }
  return { data: out, channels: 4 };
}

export function composeMask(img: DecodedImage, matte: Float32Array): Composed {
  const n = img.width * img.height;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = toByte(alphaAt(img, matte, i) * 255);
  return { data: out, channels: 1 };
}

/**
 * Cut-out over `bg` (u8 RGBA, the picture's size). The result is opaque where the background
 * is; a translucent background colour leaves a translucent result (alpha "over").
 */
export function composeOver(img: DecodedImage, matte: Float32Array, bg: Uint8Array): Composed {
  const n = img.width * img.height;
  const out = new Uint8Array(n * 4);
  for (let i = 0, j = 0; i < n; i++, j += img.channels) {
    const a = alphaAt(img, matte, i);
    const ab = bg[i * 4 + 3] / 255;
    const ao = a + ab * (1 - a);
    for (let c = 0; c < 3; c++) {
      const v = ao > 0 ? (img.data[j + c] * a + bg[i * 4 + c] * ab * (1 - a)) / ao : 0;
      out[i * 4 + c] = toByte(v);
    }
    out[i * 4 + 3] = toByte(ao * 255);
  }
  return { data: out, channels: 4 };
}

/** A solid RGBA background of n pixels. */
export function solidBackground(n: number, rgba: readonly [number, number, number, number]): Uint8Array {
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) out.set(rgba, i * 4);
  return out;
}
