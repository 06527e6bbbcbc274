/**
 * warpTriangles (the mesh engine's piecewise-affine warp): the identity mesh copies the source,
 * a shifted mesh shifts it, every covered pixel lies inside a triangle, and the native kernel
 * gives the same floats as the TypeScript fallback on random meshes and images.
 */
import { describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/native/types.js';
import { SEED, backends, fallback, native, rng } from './support.js';

/** A regular grid mesh over [x0, x0 + cols·step] × [y0, y0 + rows·step], two triangles per cell. */
function grid(cols: number, rows: number, step: number, x0: number, y0: number): { pts: Float32Array; tris: Uint16Array } {
  const pts = new Float32Array((cols + 1) * (rows + 1) * 3);
  for (let j = 0; j <= rows; j++) for (let i = 0; i <= cols; i++) {
    const k = j * (cols + 1) + i;
    pts[3 * k] = x0 + i * step; pts[3 * k + 1] = y0 + j * step;
  }
  const tris: number[] = [];
  for (let j = 0; j < rows; j++) for (let i = 0; i < cols; i++) {
    const a = j * (cols + 1) + i, b = a + 1, c = a + cols + 1, d = c + 1;
    tris.push(a, b, c, b, d, c);
  }
  return { pts, tris: Uint16Array.from(tris) };
}

function image(w: number, h: number, ch: number, next: () => number): Uint8Array {
  return Uint8Array.from({ length: w * h * ch }, () => Math.floor(next() * 256));
}

describe.each(backends.map((k) => [k.backend, k] as const))('warpTriangles (%s)', (_name, k) => {
  it('the identity mesh copies the source pixels it covers (to rounding of the barycentric weights)', () => {
    const next = rng(SEED);
    const src = image(40, 30, 3, next);
    const { pts, tris } = grid(6, 4, 5, 4, 3); // covers [4, 34] × [3, 23]
    const rgb = new Float32Array(40 * 30 * 3);
    const covered = new Uint8Array(40 * 30);
    k.warpTriangles(src, 40, 30, 3, pts, pts, tris, 0, 0, 40, 30, rgb, covered);
    let n = 0;
    for (let y = 0; y < 30; y++) for (let x = 0; x < 40; x++) {
      const inside = x >= 4 && x < 34 && y >= 3 && y < 23;
      expect(covered[y * 40 + x], `${x},${y}`).toBe(inside ? 1 : 0);
      if (!inside) continue;
      n++;
      for (let c = 0; c < 3; c++) expect(Math.abs(rgb[(y * 40 + x) * 3 + c] - src[(y * 40 + x) * 3 + c])).toBeLessThan(1e-3);
    }
    expect(n).toBe(30 * 20);
  });

  it('a mesh moved by (+5, +3) in the target shifts the image, and a patch offset is honoured', () => {
    const next = rng(SEED + 1);
    const src = image(50, 40, 4, next); // RGBA: alpha is not read
    const from = grid(4, 4, 6, 10, 8);
    const to = Float32Array.from(from.pts, (v, i) => v + (i % 3 === 0 ? 5 : i % 3 === 1 ? 3 : 0));
    const [px, py, pw, ph] = [12, 9, 30, 28];
    const rgb = new Float32Array(pw * ph * 3);
    const covered = new Uint8Array(pw * ph);
    k.warpTriangles(src, 50, 40, 4, from.pts, to, from.tris, px, py, pw, ph, rgb, covered);
    let n = 0;
    for (let y = 0; y < ph; y++) for (let x = 0; x < pw; x++) {
      if (!covered[y * pw + x]) continue;
      n++;
      const sx = x + px - 5, sy = y + py - 3;
      for (let c = 0; c < 3; c++) expect(Math.abs(rgb[(y * pw + x) * 3 + c] - src[(sy * 50 + sx) * 4 + c])).toBeLessThan(1e-3);
    }
    // The moved grid covers [15, 39) × [11, 35) of the frame; the patch clips it to [15, 39) × [11, 35) ∩ [12, 42) × [9, 37).
    expect(n).toBe(24 * 24);
  });
});

describe.runIf(native)('warpTriangles: native = fallback', () => {
  it('on random jittered meshes, random images and patches (same floats, same coverage)', () => {
    const next = rng(SEED + 2);
    for (let round = 0; round < 10; round++) {
      const [sw, sh, ch] = [30 + Math.floor(next() * 60), 30 + Math.floor(next() * 60), next() < 0.5 ? 3 : 4];
      const src = image(sw, sh, ch, next);
      const g = grid(5, 5, 8, 2, 2);
      const jitter = (p: Float32Array, amp: number) => Float32Array.from(p, (v, i) => (i % 3 === 2 ? next() : v + (next() - 0.5) * amp));
      const from = jitter(g.pts, 6);
      const to = jitter(g.pts, 6).map((v, i) => (i % 3 === 2 ? v : v * 1.3 - 4)); // scaled, some outside the source
      const [px, py, pw, ph] = [-3 + next() * 6, -3 + next() * 6, 40 + Math.floor(next() * 20), 40 + Math.floor(next() * 20)];
      const run = (kk: Kernels) => {
        const rgb = new Float32Array(pw * ph * 3), covered = new Uint8Array(pw * ph);
        kk.warpTriangles(src, sw, sh, ch, from, Float32Array.from(to), g.tris, px, py, pw, ph, rgb, covered);
        return { rgb, covered };
      };
      const a = run(native as Kernels), b = run(fallback);
      expect(a.covered).toEqual(b.covered);
      expect(a.rgb).toEqual(b.rgb);
      expect(b.covered.some((v) => v === 1)).toBe(true);
    }
  });

  it('refuses misuse: an index past the points, outputs of the wrong length', () => {
    const g = grid(1, 1, 4, 0, 0);
    for (const kk of [native as Kernels, fallback]) {
      const rgb = new Float32Array(16 * 3), cov = new Uint8Array(16);
      expect(() => kk.warpTriangles(new Uint8Array(48), 4, 4, 3, g.pts, g.pts, Uint16Array.of(0, 1, 9), 0, 0, 4, 4, rgb, cov)).toThrow(TypeError);
      expect(() => kk.warpTriangles(new Uint8Array(48), 4, 4, 3, g.pts, g.pts, g.tris, 0, 0, 4, 4, new Float32Array(5), cov)).toThrow(TypeError);
    }
  });
});
