/**
 * Reads the weights of an ncnn `.bin` file in layer order (MODELS.md §5): convolution weights are
 * `load(n, 0)`, a 4-byte storage tag then data; biases and PReLU slopes are `load(n, 1)`, raw fp32.
 * Every byte must be consumed: a leftover or a short read means the param/bin pair is misread.
 */
import { halfToFloat } from '../fp16.js';
import { num, type NcnnLayer } from './param.js';

const TAG_FP16 = 0x01306b47;
const TAG_INT8 = 0x000d4b38;
const TAG_FP32_RAW = 0x0002c056;

export class BinReader {
  private offset = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.byteLength - this.offset;
  }

  private need(n: number, what: string): void {
    if (this.offset + n > this.bytes.byteLength) throw new Error(`ncnn bin: file ends while reading ${what}`);
  }

  /** `load(n, 1)`: n raw little-endian floats. */
  raw(n: number, what: string): Float32Array {
    this.need(4 * n, what);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.view.getFloat32(this.offset + 4 * i, true);
    this.offset += 4 * n;
    return out;
  }

  /** `load(n, 0)`: a storage tag, then fp16 (padded to 4 bytes) or fp32 values. */
  tagged(n: number, what: string): Float32Array {
    this.need(4, what);
    const tag = this.view.getUint32(this.offset, true);
    this.offset += 4;
    if (tag === TAG_FP16) {
      this.need(2 * n, what);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(this.view.getUint16(this.offset + 2 * i, true));
      this.offset += (2 * n + 3) & ~3;
      return out;
    }
    if (tag === 0 || tag === TAG_FP32_RAW) return this.raw(n, what);
    if (tag === TAG_INT8) throw new Error(`ncnn bin: ${what} is int8-quantised; not supported`);
    throw new Error(`ncnn bin: ${what} uses a 256-entry quantisation table (tag 0x${tag.toString(16)}); not supported`);
  }
}

export interface ConvWeights {
  weight: Float32Array;
  bias: Float32Array | null;
}

export interface LayerWeights {
  conv: Map<string, ConvWeights>;
  prelu: Map<string, Float32Array>;
}

export function readWeights(layers: readonly NcnnLayer[], bin: Uint8Array): LayerWeights {
  const reader = new BinReader(bin);
  const conv = new Map<string, ConvWeights>();
  const prelu = new Map<string, Float32Array>();
  for (const layer of layers) {
    if (layer.type === 'Convolution') {
      const weight = reader.tagged(num(layer, 6, 0), `${layer.name} weights`);
      const bias = num(layer, 5, 0) ? reader.raw(num(layer, 0, 0), `${layer.name} bias`) : null;
      conv.set(layer.name, { weight, bias });
    } else if (layer.type === 'PReLU') {
      prelu.set(layer.name, reader.raw(num(layer, 0, 1), `${layer.name} slopes`));
    } else if (!['Input', 'Split', 'Concat', 'Eltwise', 'BinaryOp', 'Interp', 'PixelShuffle'].includes(layer.type)) {
      throw new Error(`ncnn: layer type ${layer.type} (${layer.name}) is not supported by this converter`);
    }
  }
  if (reader.remaining !== 0) throw new Error(`ncnn bin: ${reader.remaining} bytes left over after the last layer`);
  return { conv, prelu };
}
