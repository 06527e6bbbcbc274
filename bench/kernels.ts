/**
 * Kernels bench: every kernel at 1024², 2048² and a 3840×2160 frame, run by the Rust
 * addon and by the TypeScript fallback, next to a memcpy (TypedArray.set) of the larger
 * of the kernel's input and output as the bandwidth floor. Repetitions are interleaved
 * (native, fallback, memcpy, native, …) so machine noise hits all three alike.
 *
 * Rows (unit ms): `<kernel> <size> memcpy`, `… fallback` (baseline: memcpy) and
 * `… native` (baseline: fallback, so its ratio is native time / fallback time).
 * Standalone: `npx tsx bench/kernels.ts [--quick]` prints a table with GB/s and ratios.
 */
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNativeKernels } from '../src/native/addon.js';
import { fallbackKernels } from '../src/native/index.js';
import { NORM_0_1, NORM_INSIGHTFACE, type Affine, type Kernels } from '../src/native/types.js';
import { interleave, summarize, timeMs, type Summary } from './stats.js';
import type { BenchRow } from './types.js';

interface Case {
  /** Bytes read + bytes written by one call, for GB/s. */
  traffic: number;
  /** Bytes the memcpy baseline copies: the larger of input and output. */
  copyBytes: number;
  run(k: Kernels): void;
}

const SIZES: readonly [number, number][] = [[1024, 1024], [2048, 2048], [3840, 2160]];

function noise(n: number): Uint8Array {
  const a = new Uint8Array(n);
  let s = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    a[i] = s & 0xff;
  }
  return a;
}

function unitFloats(n: number): Float32Array {
  const u = noise(n);
  return Float32Array.from(u, (v) => v / 255);
}

/** A 15° rotation with a little zoom, about the image centre (the face-alignment shape). */
function rotation(w: number, h: number, scale: number): Affine {
  const t = (15 * Math.PI) / 180;
  const [c, s] = [Math.cos(t) * scale, Math.sin(t) * scale];
  return [c, -s, w / 2 - c * (w / 2) + s * (h / 2), s, c, h / 2 - s * (w / 2) - c * (h / 2)];
}

const CASES: Record<string, (w: number, h: number) => Case> = {
  hwcToNchw: (w, h) => {
    const src = noise(w * h * 3);
    const out = new Float32Array(3 * w * h);
    return { traffic: src.byteLength + out.byteLength, copyBytes: out.byteLength,
      run: (k) => k.hwcToNchw(src, w, h, 3, NORM_INSIGHTFACE, out) };
  },
  nchwToHwc: (w, h) => {
    const src = unitFloats(3 * w * h);
    const out = new Uint8Array(w * h * 3);
    return { traffic: src.byteLength + out.byteLength, copyBytes: src.byteLength,
      run: (k) => k.nchwToHwc(src, w, h, 3, 255, 0, false, out) };
  },
  f32ToF16: (w, h) => {
    const src = unitFloats(3 * w * h);
    const out = new Uint16Array(src.length);
    return { traffic: src.byteLength + out.byteLength, copyBytes: src.byteLength, run: (k) => k.f32ToF16(src, out) };
  },
  f16ToF32: (w, h) => {
    const src = fallbackKernels.f32ToF16(unitFloats(3 * w * h));
    const out = new Float32Array(src.length);
    return { traffic: src.byteLength + out.byteLength, copyBytes: out.byteLength, run: (k) => k.f16ToF32(src, out) };
  },
  warpAffineToNchw: (w, h) => {
    const src = noise(w * h * 3);
    const out = new Float32Array(3 * w * h);
    const m = rotation(w, h, 0.9);
    return { traffic: src.byteLength + out.byteLength, copyBytes: out.byteLength,
      run: (k) => k.warpAffineToNchw(src, w, h, 3, m, w, h, NORM_0_1, out) };
  },
  pasteBack: (w, h) => {
    // A half-size crop pasted back over most of the frame (M maps frame → crop).
    const [cw, ch] = [w >> 1, h >> 1];
    const frame = noise(w * h * 3);
    const crop = noise(cw * ch * 3);
    const mask = unitFloats(cw * ch);
    const m = rotation(cw, ch, 0.6);
    return { traffic: 2 * frame.byteLength + crop.byteLength + mask.byteLength, copyBytes: frame.byteLength,
      run: (k) => k.pasteBack(frame, w, h, 3, crop, cw, ch, mask, m) };
  },
  placeTile: (w, h) => {
    const tile = unitFloats(3 * w * h);
    const out = new Uint8Array(w * h * 4);
    return { traffic: tile.byteLength + (out.byteLength * 3) / 4, copyBytes: tile.byteLength,
      run: (k) => k.placeTile(tile, w, h, 0, 0, w, h, out, w, h, 4, 0, 0) };
  },
  gaussianBlur: (w, h) => {
    const mask = unitFloats(w * h);
    const out = new Float32Array(w * h);
    return { traffic: mask.byteLength + out.byteLength, copyBytes: out.byteLength,
      run: (k) => k.gaussianBlur(mask, w, h, 4, out) };
  },
  erode: (w, h) => {
    const mask = unitFloats(w * h);
    const out = new Float32Array(w * h);
    return { traffic: mask.byteLength + out.byteLength, copyBytes: out.byteLength, run: (k) => k.erode(mask, w, h, 5, out) };
  },
};

function row(name: string, s: Summary, baseline?: string, base?: Summary): BenchRow {
  return { part: 'kernels', name, unit: 'ms', ...s, ...(baseline && base ? { baseline, ratio: s.median / base.median } : {}) };
}

export interface KernelsBenchOptions {
  quick: boolean;
  progress?: (msg: string) => void;
  /** Called with one line per kernel and size (the standalone table). */
  line?: (text: string) => void;
}

export async function runKernelsBench(opts: KernelsBenchOptions): Promise<BenchRow[]> {
  let native: Kernels | undefined;
  try {
    native = loadNativeKernels();
  } catch (err) {
    opts.line?.(`native addon unavailable (${(err as Error).message}): fallback and memcpy only`);
  }
  const sizes = opts.quick ? SIZES.slice(0, 1) : SIZES;
  const reps = opts.quick ? 3 : 7;
  const rows: BenchRow[] = [];
  const gbs = (bytes: number, ms: number): string => (bytes / ms / 1e6).toFixed(2);
  opts.line?.(['kernel', 'size', 'native ms', 'fallback ms', 'memcpy ms', 'native GB/s', 'fallback GB/s',
    'memcpy GB/s', 'native speedup', 'native/memcpy'].map((s, i) => (i < 2 ? s.padEnd(i ? 10 : 17) : s.padStart(i < 8 ? 11 : 14))).join(' '));
  for (const [w, h] of sizes) {
    for (const [kernel, make] of Object.entries(CASES)) {
      const size = `${w}x${h}`;
      opts.progress?.(`kernels: ${kernel} ${size}`);
      const c = make(w, h);
      const from = new Uint8Array(c.copyBytes);
      const to = new Uint8Array(c.copyBytes);
      const variants: Record<string, () => Promise<number>> = {
        ...(native ? { native: () => timeMs(() => c.run(native!)) } : {}),
        fallback: () => timeMs(() => c.run(fallbackKernels)),
        memcpy: () => timeMs(() => to.set(from)),
      };
      const samples = await interleave(variants, reps);
      const mem = summarize(samples.memcpy);
      const fb = summarize(samples.fallback);
      const base = `${kernel} ${size}`;
      rows.push(row(`${base} memcpy`, mem), row(`${base} fallback`, fb, `${base} memcpy`, mem));
      const nat = native ? summarize(samples.native) : undefined;
      if (nat) rows.push(row(`${base} native`, nat, `${base} fallback`, fb));
      const memGbs = gbs(2 * c.copyBytes, mem.median);
      opts.line?.([
        kernel.padEnd(17), size.padEnd(10),
        (nat ? nat.median.toFixed(2) : '-').padStart(11), fb.median.toFixed(2).padStart(11), mem.median.toFixed(2).padStart(11),
        (nat ? gbs(c.traffic, nat.median) : '-').padStart(11), gbs(c.traffic, fb.median).padStart(11), memGbs.padStart(11),
        (nat ? `${(fb.median / nat.median).toFixed(1)}x` : '-').padStart(14),
        (nat ? `${(nat.median / mem.median).toFixed(2)}x` : '-').padStart(14),
      ].join(' '));
    }
  }
  return rows;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  console.log(`kernels bench (${quick ? 'quick' : 'full'}): medians of interleaved repetitions; ` +
    'GB/s = bytes read + written per call / time (memcpy: 2 × bytes copied)');
  console.log(`${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; ` +
    `native threads capped by BACKSERV_NATIVE_THREADS=${process.env.BACKSERV_NATIVE_THREADS ?? '(unset)'}`);
  await runKernelsBench({ quick, line: (t) => console.log(t) });
}
