/**
 * Latents ↔ pixels through the VAE. Decoding is tiled above a fixed latent tile so that the
 * memory of one decoder run is bounded whatever the requested size (see DECODE_TILE).
 */
import { NORM_NEG1_1 } from '../../native/types.js';
import { checkpoint } from '../checkpoint.js';
import type { SdModel } from './sd-model.js';
import { allocFloat, floatTensor, floatType, incompatible, readFloats, writeFloats } from './tensor-io.js';
import { randn } from './noise.js';
import { LATENT_CHANNELS } from './unet-buffers.js';

/**
 * Memory budget: the decoder never runs on more than 64×64 latents (512×512 output pixels) at
 * once, so a 1024² decode peaks at the working set of a 512² decode (for the SD VAE the
 * activations and the mid-block attention over 64² positions dominate) plus the f32 canvas
 * (3 + 1 floats per output pixel: 16 MiB at 1024²). Larger images are decoded as overlapping
 * tiles blended with linear ramps over the overlap. The VAE's mid-block attention and group
 * norms then see a tile rather than the whole image, which shifts colours slightly between
 * tiles (the same trade-off as diffusers' `enable_vae_tiling`); sizes up to 512² decode whole.
 */
export interface DecodeTiling {
  /** Largest latent tile side decoded in one run. */
  tile: number;
  /** Latent overlap between neighbouring tiles (the blend ramp is this × 8 pixels). */
  overlap: number;
}

export const DECODE_TILE: DecodeTiling = Object.freeze({ tile: 64, overlap: 8 });

export interface DecodeOptions {
  signal: AbortSignal;
  tiling?: DecodeTiling;
  /** After each decoder run: tiles done of total. */
  onTile?(done: number, total: number): void;
}

export interface DecodedRgb {
  /** u8 RGB HWC. */
  data: Uint8Array;
  width: number;
  height: number;
  tiles: number;
}

/** Tile origins along one axis: full tiles, stepping by tile − overlap, the last flush with the end. */
export function tileStarts(length: number, tile: number, overlap: number): number[] {
  if (length <= tile) return [0];
  const stride = tile - overlap;
  if (stride < 1) throw new RangeError(`overlap ${overlap} must be smaller than the tile ${tile}`);
  const starts: number[] = [];
  for (let s = 0; ; s += stride) {
    if (s + tile >= length) {
      starts.push(length - tile);
      return starts;
    }
    starts.push(s);
  }
}

/** Blend weight of pixel `p` of a tile of `n` pixels: ramps up/down over `ramp` pixels on shared sides. */
function ramp(p: number, n: number, rampPx: number, rampStart: boolean, rampEnd: boolean): number {
  let w = 1;
  if (rampStart && p < rampPx) w = Math.min(w, (p + 0.5) / rampPx);
  if (rampEnd && n - p <= rampPx) w = Math.min(w, (n - p - 0.5) / rampPx);
  return w;
}

export async function decodeLatents(model: SdModel, latents: Float32Array, width: number, height: number, opts: DecodeOptions): Promise<DecodedRgb> {
  const lw = width / 8;
  const lh = height / 8;
  if (latents.length !== LATENT_CHANNELS * lw * lh) throw new RangeError(`latents have ${latents.length} elements, expected ${LATENT_CHANNELS * lw * lh}`);
  const { tile, overlap } = opts.tiling ?? DECODE_TILE;
  const xs = tileStarts(lw, tile, overlap);
  const ys = tileStarts(lh, tile, overlap);
  const tw = Math.min(tile, lw);
  const th = Math.min(tile, lh);
  const inType = floatType(model.vaeDecoderIn, 'vae decoder input');
  const tileLatents = new Float32Array(LATENT_CHANNELS * tw * th);
  const feed = allocFloat(inType, tileLatents.length);
  const feedTensor = floatTensor(inType, feed, [1, LATENT_CHANNELS, th, tw]);
  const pw = tw * 8;
  const ph = th * 8;
  const tileOut = new Float32Array(3 * pw * ph);
  const whole = xs.length === 1 && ys.length === 1;
  const canvas = whole ? tileOut : new Float32Array(3 * width * height);
  const weights = whole ? null : new Float32Array(width * height);
  const inv = 1 / model.vaeScaling;
  const total = xs.length * ys.length;
  let done = 0;
  for (const y0 of ys) {
    for (const x0 of xs) {
      await checkpoint(opts.signal);
      for (let c = 0; c < LATENT_CHANNELS; c++) {
        for (let y = 0; y < th; y++) {
          const src = (c * lh + y0 + y) * lw + x0;
          const dst = (c * th + y) * tw;
          for (let x = 0; x < tw; x++) tileLatents[dst + x] = latents[src + x] * inv;
        }
      }
      writeFloats(model.kernels, tileLatents, feed);
      const out = (await model.vaeDecoder.run({ [model.vaeDecoderIn.name]: feedTensor }))[model.vaeDecoderOut.name];
      if (out.dims.length !== 4 || out.dims[1] !== 3 || out.dims[2] !== ph || out.dims[3] !== pw) {
        throw incompatible(`vae decoder output is [${out.dims.join(',')}], expected [1,3,${ph},${pw}]`);
      }
      const pixels = readFloats(model.kernels, out, out.type === 'float16' ? tileOut : undefined);
      if (whole) {
        if (pixels !== tileOut) tileOut.set(pixels);
      } else {
        accumulate(pixels, canvas, weights as Float32Array, { x0: x0 * 8, y0: y0 * 8, pw, ph, width, height, rampPx: overlap * 8, lw, lh, tx: x0, ty: y0, tw, th });
      }
      opts.onTile?.(++done, total);
    }
  }
  if (weights) {
    const plane = width * height;
    for (let i = 0; i < plane; i++) {
      const k = 1 / weights[i];
      canvas[i] *= k;
      canvas[plane + i] *= k;
      canvas[2 * plane + i] *= k;
    }
  }
  // VAE output is in [−1, 1]: u8 = (x/2 + 0.5)·255 = 127.5·x + 127.5, rounded and clamped.
  const data = model.kernels.nchwToHwc(canvas, width, height, 3, 127.5, 127.5);
  return { data, width, height, tiles: total };
}

interface TilePlacement {
  x0: number; y0: number; pw: number; ph: number; width: number; height: number; rampPx: number;
  lw: number; lh: number; tx: number; ty: number; tw: number; th: number;
}

function accumulate(tile: Float32Array, canvas: Float32Array, weights: Float32Array, p: TilePlacement): void {
  const left = p.tx > 0;
  const right = p.tx + p.tw < p.lw;
  const top = p.ty > 0;
  const bottom = p.ty + p.th < p.lh;
  const plane = p.width * p.height;
  const tplane = p.pw * p.ph;
  for (let y = 0; y < p.ph; y++) {
    const wy = ramp(y, p.ph, p.rampPx, top, bottom);
    for (let x = 0; x < p.pw; x++) {
      const w = wy * ramp(x, p.pw, p.rampPx, left, right);
      const di = (p.y0 + y) * p.width + p.x0 + x;
      const si = y * p.pw + x;
      weights[di] += w;
      canvas[di] += w * tile[si];
      canvas[plane + di] += w * tile[tplane + si];
      canvas[2 * plane + di] += w * tile[2 * tplane + si];
    }
  }
}

export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/**
 * img2img: image → VAE latents × the VAE scale. Width and height must be multiples of 8
 * (resize first). An Optimum encoder returns the posterior's [mean, logvar] (8 channels): with
 * `sampleSeed` the latents are a sample mean + exp(logvar / 2)·randn(sampleSeed) (logvar clamped
 * to [−30, 20]), as diffusers' `latent_dist.sample(generator)` in img2img; without it the mean,
 * the deterministic choice video keyframes use. The legacy export has already sampled (4
 * channels). The encoder is not tiled: inputs are ≤ 1024², within the budget of one run.
 */
export async function encodeImage(model: SdModel, image: RgbImage, sampleSeed?: number): Promise<Float32Array> {
  const { width, height } = image;
  if (width % 8 !== 0 || height % 8 !== 0) throw new RangeError(`image ${width}×${height} is not a multiple of 8`);
  const enc = await model.vaeEncoder();
  const inType = floatType(enc.input, 'vae encoder input');
  const x = model.kernels.hwcToNchw(image.data, width, height, image.channels, NORM_NEG1_1);
  const feed = allocFloat(inType, x.length);
  writeFloats(model.kernels, x, feed);
  const out = (await enc.session.run({ [enc.input.name]: floatTensor(inType, feed, [1, 3, height, width]) }))[enc.output.name];
  const lw = width / 8;
  const lh = height / 8;
  const n = LATENT_CHANNELS * lw * lh;
  if (out.dims.length !== 4 || (out.dims[1] !== 4 && out.dims[1] !== 8) || out.dims[2] !== lh || out.dims[3] !== lw) {
    throw incompatible(`vae encoder output is [${out.dims.join(',')}], expected [1,4|8,${lh},${lw}]`);
  }
  const values = readFloats(model.kernels, out);
  const latents = new Float32Array(n);
  if (out.dims[1] === 8 && sampleSeed !== undefined) {
    const eps = randn(sampleSeed, n);
    for (let i = 0; i < n; i++) {
      const logvar = Math.min(20, Math.max(-30, values[n + i]));
      latents[i] = (values[i] + Math.exp(0.5 * logvar) * eps[i]) * model.vaeScaling;
    }
    return latents;
  }
  for (let i = 0; i < n; i++) latents[i] = values[i] * model.vaeScaling;
  return latents;
}
