/**
 * A direct, deliberately naive evaluator of an ncnn graph (CHW float blobs), used only to check
 * the ncnn -> ONNX converter: it follows ncnn's layer semantics (zero-padded convolution with fused
 * activation, PReLU, PixelShuffle, nearest Interp as floor(x / scale), BinaryOp, Eltwise with
 * coefficients, channel Concat) without going through ONNX at all.
 */
import { arr, num, type NcnnLayer } from '../../src/models/convert/ncnn/param.js';
import type { LayerWeights } from '../../src/models/convert/ncnn/bin.js';

export interface Blob {
  c: number;
  h: number;
  w: number;
  data: Float32Array;
}

function conv(x: Blob, layer: NcnnLayer, wts: LayerWeights): Blob {
  const { weight, bias } = wts.conv.get(layer.name)!;
  const oc = num(layer, 0, 0);
  const k = num(layer, 1, 0);
  const pad = num(layer, 4, 0);
  const stride = num(layer, 3, 1);
  const h = Math.floor((x.h + 2 * pad - k) / stride) + 1;
  const w = Math.floor((x.w + 2 * pad - k) / stride) + 1;
  const out = new Float32Array(oc * h * w);
  for (let o = 0; o < oc; o++) {
    const plane = out.subarray(o * h * w, (o + 1) * h * w);
    plane.fill(bias ? bias[o] : 0);
    for (let i = 0; i < x.c; i++) {
      for (let ky = 0; ky < k; ky++) {
        for (let kx = 0; kx < k; kx++) {
          const wv = weight[((o * x.c + i) * k + ky) * k + kx];
          for (let y = 0; y < h; y++) {
            const sy = y * stride + ky - pad;
            if (sy < 0 || sy >= x.h) continue;
            for (let xx = 0; xx < w; xx++) {
              const sx = xx * stride + kx - pad;
              if (sx < 0 || sx >= x.w) continue;
              plane[y * w + xx] += wv * x.data[(i * x.h + sy) * x.w + sx];
            }
          }
        }
      }
    }
  }
  const act = num(layer, 9, 0);
  if (act === 2) {
    const slope = arr(layer, 10)[0];
    for (let i = 0; i < out.length; i++) if (out[i] < 0) out[i] *= slope;
  } else if (act !== 0) throw new Error(`eval: activation ${act}`);
  return { c: oc, h, w, data: out };
}

export function evalNcnn(layers: readonly NcnnLayer[], wts: LayerWeights, input: Blob): Blob {
  const blobs = new Map<string, Blob>();
  for (const layer of layers) {
    const ins = layer.inputs.map((n) => blobs.get(n)!);
    let out: Blob;
    switch (layer.type) {
      case 'Input':
        out = input;
        break;
      case 'Split':
        for (const o of layer.outputs) blobs.set(o, ins[0]);
        continue;
      case 'Convolution':
        out = conv(ins[0], layer, wts);
        break;
      case 'PReLU': {
        const s = wts.prelu.get(layer.name)!;
        const x = ins[0];
        const data = x.data.slice();
        for (let c = 0; c < x.c; c++) for (let i = 0; i < x.h * x.w; i++) if (data[c * x.h * x.w + i] < 0) data[c * x.h * x.w + i] *= s[s.length === 1 ? 0 : c];
        out = { ...x, data };
        break;
      }
      case 'PixelShuffle': {
        const r = num(layer, 0, 1);
        const x = ins[0];
        const c = x.c / (r * r);
        const h = x.h * r;
        const w = x.w * r;
        const data = new Float32Array(c * h * w);
        for (let q = 0; q < c; q++)
          for (let sh = 0; sh < r; sh++)
            for (let sw = 0; sw < r; sw++)
              for (let y = 0; y < x.h; y++)
                for (let xx = 0; xx < x.w; xx++) data[(q * h + y * r + sh) * w + xx * r + sw] = x.data[((q * r * r + sh * r + sw) * x.h + y) * x.w + xx];
        out = { c, h, w, data };
        break;
      }
      case 'Interp': {
        if (num(layer, 0, 0) !== 1) throw new Error('eval: only nearest Interp');
        const hs = num(layer, 1, 1);
        const ws = num(layer, 2, 1);
        const x = ins[0];
        const h = Math.floor(x.h * hs);
        const w = Math.floor(x.w * ws);
        const data = new Float32Array(x.c * h * w);
        for (let c = 0; c < x.c; c++)
          for (let y = 0; y < h; y++)
            for (let xx = 0; xx < w; xx++) {
              const sy = Math.min(Math.floor(y * (1 / hs)), x.h - 1);
              const sx = Math.min(Math.floor(xx * (1 / ws)), x.w - 1);
              data[(c * h + y) * w + xx] = x.data[(c * x.h + sy) * x.w + sx];
            }
        out = { c: x.c, h, w, data };
        break;
      }
      case 'BinaryOp': {
        if (num(layer, 0, 0) !== 0) throw new Error('eval: only BinaryOp add');
        out = { ...ins[0], data: ins[0].data.map((v, i) => v + ins[1].data[i]) };
        break;
      }
      case 'Eltwise': {
        const co = arr(layer, 1);
        out = { ...ins[0], data: ins[0].data.map((_, i) => ins.reduce((s, b, j) => s + (co[j] ?? 1) * b.data[i], 0)) };
        break;
      }
      case 'Concat': {
        const c = ins.reduce((s, b) => s + b.c, 0);
        const data = new Float32Array(c * ins[0].h * ins[0].w);
        let off = 0;
        for (const b of ins) {
          data.set(b.data, off);
          off += b.data.length;
        }
        out = { c, h: ins[0].h, w: ins[0].w, data };
        break;
      }
      default:
        throw new Error(`eval: ${layer.type}`);
    }
    blobs.set(layer.outputs[0], out);
  }
  return blobs.get('output')!;
}
