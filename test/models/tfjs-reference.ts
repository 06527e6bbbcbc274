/**
 * Hand computations of the TensorFlow ops the tfjs converter maps, written directly from
 * TensorFlow's definitions on NHWC arrays with plain loops (no layout tricks, no ONNX), so the
 * converter's output is compared against something that shares none of its reasoning.
 */

export interface Nd {
  shape: number[];
  data: Float32Array;
}

export function nd(shape: number[], fill: (i: number) => number): Nd {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from({ length: n }, (_, i) => fill(i)) };
}

/** TensorFlow SAME: out = ceil(in / s), the odd padding pixel at the end. */
function samePadding(size: number, k: number, s: number, d: number): { out: number; before: number } {
  const eff = (k - 1) * d + 1;
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + eff - size, 0);
  return { out, before: Math.floor(total / 2) };
}

export type Padding = 'SAME' | 'VALID' | { top: number; bottom: number; left: number; right: number };

function geometry(h: number, w: number, kh: number, kw: number, s: number[], d: number[], padding: Padding) {
  if (padding === 'SAME') {
    const y = samePadding(h, kh, s[0], d[0]);
    const x = samePadding(w, kw, s[1], d[1]);
    return { oh: y.out, ow: x.out, pt: y.before, pl: x.before };
  }
  const p = padding === 'VALID' ? { top: 0, bottom: 0, left: 0, right: 0 } : padding;
  const oh = Math.floor((h + p.top + p.bottom - ((kh - 1) * d[0] + 1)) / s[0]) + 1;
  const ow = Math.floor((w + p.left + p.right - ((kw - 1) * d[1] + 1)) / s[1]) + 1;
  return { oh, ow, pt: p.top, pl: p.left };
}

/** Conv2D: x [N,H,W,Ci], filter [kh,kw,Ci,Co]. `depthwise`: filter [kh,kw,C,M], output channel c*M+m. */
export function conv2d(x: Nd, filter: Nd, strides: number[], dilations: number[], padding: Padding, depthwise = false): Nd {
  const [n, h, w, ci] = x.shape;
  const [kh, kw, fc, fo] = filter.shape;
  const co = depthwise ? fc * fo : fo;
  const { oh, ow, pt, pl } = geometry(h, w, kh, kw, strides, dilations, padding);
  const y = nd([n, oh, ow, co], () => 0);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let o = 0; o < co; o++) {
          let sum = 0;
          for (let ky = 0; ky < kh; ky++) {
            for (let kx = 0; kx < kw; kx++) {
              const iy = oy * strides[0] + ky * dilations[0] - pt;
              const ix = ox * strides[1] + kx * dilations[1] - pl;
              if (iy < 0 || ix < 0 || iy >= h || ix >= w) continue;
              const px = ((b * h + iy) * w + ix) * ci;
              if (depthwise) {
                const c = Math.floor(o / fo);
                sum += x.data[px + c] * filter.data[((ky * kw + kx) * fc + c) * fo + (o % fo)];
              } else {
                for (let c = 0; c < ci; c++) sum += x.data[px + c] * filter.data[((ky * kw + kx) * ci + c) * co + o];
              }
            }
          }
          y.data[((b * oh + oy) * ow + ox) * co + o] = sum;
        }
      }
    }
  }
  return y;
}

/**
 * Conv2DBackpropInput with SAME padding: the adjoint of the forward Conv2D that maps an output of
 * `outHW` to x's size, i.e. every input pixel scatters its kernel-weighted value.
 * filter [kh,kw,Co,Ci], x [N,h,w,Ci] -> [N,H,W,Co].
 */
export function conv2dBackpropInput(x: Nd, filter: Nd, outHW: [number, number], strides: number[]): Nd {
  const [n, h, w, ci] = x.shape;
  const [kh, kw, co] = filter.shape;
  const [H, W] = outHW;
  const py = samePadding(H, kh, strides[0], 1);
  const px = samePadding(W, kw, strides[1], 1);
  if (py.out !== h || px.out !== w) throw new Error('input size does not match the SAME forward convolution of the output size');
  const y = nd([n, H, W, co], () => 0);
  for (let b = 0; b < n; b++) {
    for (let iy = 0; iy < h; iy++) {
      for (let ix = 0; ix < w; ix++) {
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const oy = iy * strides[0] + ky - py.before;
            const ox = ix * strides[1] + kx - px.before;
            if (oy < 0 || ox < 0 || oy >= H || ox >= W) continue;
            for (let o = 0; o < co; o++) {
              let sum = 0;
              for (let c = 0; c < ci; c++) sum += x.data[((b * h + iy) * w + ix) * ci + c] * filter.data[((ky * kw + kx) * co + o) * ci + c];
              y.data[((b * H + oy) * W + ox) * co + o] += sum;
            }
          }
        }
      }
    }
  }
  return y;
}

/** MaxPool / AvgPool; the average counts only pixels inside the image (TensorFlow's SAME). */
export function pool(x: Nd, k: number[], strides: number[], padding: 'SAME' | 'VALID', kind: 'max' | 'avg'): Nd {
  const [n, h, w, c] = x.shape;
  const { oh, ow, pt, pl } = geometry(h, w, k[0], k[1], strides, [1, 1], padding);
  const y = nd([n, oh, ow, c], () => 0);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ch = 0; ch < c; ch++) {
          let acc = kind === 'max' ? -Infinity : 0;
          let count = 0;
          for (let ky = 0; ky < k[0]; ky++) {
            for (let kx = 0; kx < k[1]; kx++) {
              const iy = oy * strides[0] + ky - pt;
              const ix = ox * strides[1] + kx - pl;
              if (iy < 0 || ix < 0 || iy >= h || ix >= w) continue;
              const v = x.data[((b * h + iy) * w + ix) * c + ch];
              acc = kind === 'max' ? Math.max(acc, v) : acc + v;
              count += 1;
            }
          }
          y.data[((b * oh + oy) * ow + ox) * c + ch] = kind === 'max' ? acc : acc / count;
        }
      }
    }
  }
  return y;
}

/** ResizeBilinear as TensorFlow's resize_bilinear_op computes source coordinates and weights. */
export function resizeBilinear(x: Nd, oh: number, ow: number, alignCorners: boolean, halfPixel: boolean): Nd {
  const [n, h, w, c] = x.shape;
  const scale = (inSize: number, outSize: number) => (alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize);
  const sy = scale(h, oh);
  const sx = scale(w, ow);
  const source = (o: number, s: number) => (halfPixel ? (o + 0.5) * s - 0.5 : o * s);
  const y = nd([n, oh, ow, c], () => 0);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const fy = source(oy, sy);
      const y0 = Math.max(Math.floor(fy), 0);
      const y1 = Math.min(Math.ceil(fy), h - 1);
      const ly = fy - Math.floor(fy);
      for (let ox = 0; ox < ow; ox++) {
        const fx = source(ox, sx);
        const x0 = Math.max(Math.floor(fx), 0);
        const x1 = Math.min(Math.ceil(fx), w - 1);
        const lx = fx - Math.floor(fx);
        for (let ch = 0; ch < c; ch++) {
          const at = (yy: number, xx: number) => x.data[((b * h + yy) * w + xx) * c + ch];
          const top = at(y0, x0) + (at(y0, x1) - at(y0, x0)) * lx;
          const bottom = at(y1, x0) + (at(y1, x1) - at(y1, x0)) * lx;
          y.data[((b * oh + oy) * ow + ox) * c + ch] = top + (bottom - top) * ly;
        }
      }
    }
  }
  return y;
}

/** Pad with [before, after] per axis. */
export function pad(x: Nd, paddings: [number, number][], value = 0): Nd {
  const shape = x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
  const y = nd(shape, () => value);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < x.data.length; i++) {
    let o = 0;
    for (let a = 0; a < rank; a++) o = o * shape[a] + idx[a] + paddings[a][0];
    y.data[o] = x.data[i];
    for (let a = rank - 1; a >= 0; a--) {
      if (++idx[a] < x.shape[a]) break;
      idx[a] = 0;
    }
  }
  return y;
}

/** Numpy-style broadcasting of a binary function (shapes aligned from the last axis). */
export function broadcast(a: Nd, b: Nd, f: (x: number, y: number) => number): Nd {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pa = [...new Array<number>(rank - a.shape.length).fill(1), ...a.shape];
  const pb = [...new Array<number>(rank - b.shape.length).fill(1), ...b.shape];
  const shape = pa.map((d, i) => Math.max(d, pb[i]));
  const y = nd(shape, () => 0);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < y.data.length; o++) {
    let ia = 0;
    let ib = 0;
    for (let i = 0; i < rank; i++) {
      ia = ia * pa[i] + (pa[i] === 1 ? 0 : idx[i]);
      ib = ib * pb[i] + (pb[i] === 1 ? 0 : idx[i]);
    }
    y.data[o] = f(a.data[ia], b.data[ib]);
    for (let i = rank - 1; i >= 0; i--) {
      if (++idx[i] < shape[i]) break;
      idx[i] = 0;
    }
  }
  return y;
}

export function map(x: Nd, f: (v: number) => number): Nd {
  return { shape: [...x.shape], data: x.data.map(f) };
}

export function concatLast(parts: Nd[]): Nd {
  const lead = parts[0].shape.slice(0, -1);
  const rows = lead.reduce((a, b) => a * b, 1);
  const widths = parts.map((p) => p.shape[p.shape.length - 1]);
  const total = widths.reduce((a, b) => a + b, 0);
  const y = nd([...lead, total], () => 0);
  for (let r = 0; r < rows; r++) {
    let at = 0;
    parts.forEach((p, i) => {
      y.data.set(p.data.subarray(r * widths[i], (r + 1) * widths[i]), r * total + at);
      at += widths[i];
    });
  }
  return y;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
