/** The numbers a video request turns into, and the interpolation between keyframes. */
import { describe, expect, it } from 'vitest';
import { randn } from '../../src/pipelines/image-creation/index.js';
import { img2imgSteps, keyframeInterval, keyframePositions, lerp, planVideo, slerp, strengthFor } from '../../src/pipelines/video-creation/index.js';

const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('video plan', () => {
  it('motion maps to img2img strength 0.2…0.6, clamped', () => {
    expect(strengthFor(0)).toBeCloseTo(0.2);
    expect(strengthFor(0.5)).toBeCloseTo(0.4);
    expect(strengthFor(1)).toBeCloseTo(0.6);
    expect(strengthFor(7)).toBeCloseTo(0.6);
  });

  it('img2img steps run at least one step: SD-Turbo (1 step) needs more nominal steps at low strength', () => {
    expect(img2imgSteps(1, 0.4)).toBe(3); // ⌊3·0.4⌋ = 1
    expect(img2imgSteps(1, 0.2)).toBe(5);
    expect(img2imgSteps(1, 0.6)).toBe(2);
    expect(img2imgSteps(25, 0.4)).toBe(25); // SD 1.5 runs 10 of its 25
    for (const s of [0.2, 0.25, 0.3, 0.35, 0.45, 0.55, 0.6]) expect(Math.floor(img2imgSteps(1, s) * s)).toBeGreaterThanOrEqual(1);
    expect(() => img2imgSteps(1, 0)).toThrow(RangeError);
  });

  it('keyframes: first and last frame, evenly spaced about one second apart', () => {
    expect(keyframeInterval(8)).toBe(8);
    expect(keyframeInterval(1)).toBe(4);
    expect(keyframeInterval(30)).toBe(16);
    expect(keyframePositions(1, 8)).toEqual([0]);
    expect(keyframePositions(2, 8)).toEqual([0, 1]);
    expect(keyframePositions(16, 8)).toEqual([0, 8, 15]);
    expect(keyframePositions(120, 16)).toEqual([0, 17, 34, 51, 68, 85, 102, 119]);
    // No segment is much shorter than the others (no jump at the end).
    for (const frames of [5, 17, 33, 60, 119]) {
      const k = keyframePositions(frames, 8);
      const gaps = k.slice(1).map((p, i) => p - k[i]);
      expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThanOrEqual(1);
      expect(k[k.length - 1]).toBe(frames - 1);
    }
  });

  it('planVideo puts it together', () => {
    expect(planVideo(16, 8, 0.5, 1)).toEqual({ frames: 16, keyframes: [0, 8, 15], strength: 0.4, img2imgSteps: 3, keyframeWalk: 0.5 });
  });
});

describe('interpolation', () => {
  const a = randn(1, 4096);
  const b = randn(2, 4096);

  it('slerp hits both ends and keeps the norm of Gaussian noise in between; lerp does not', () => {
    expect(slerp(a, b, 0)).toEqual(a);
    const end = slerp(a, b, 1);
    for (let i = 0; i < a.length; i += 97) expect(end[i]).toBeCloseTo(b[i], 5);
    const na = norm(a);
    const mid = slerp(a, b, 0.5);
    expect(norm(mid) / na).toBeGreaterThan(0.97);
    expect(norm(mid) / na).toBeLessThan(1.03);
    // Independent vectors are ~orthogonal: the straight line's midpoint is ~1/√2 as long.
    expect(norm(lerp(a, b, 0.5)) / na).toBeLessThan(0.75);
  });

  it('slerp moves monotonically away from a and toward b', () => {
    const dist = (x: Float32Array, y: Float32Array) => norm(Float32Array.from(x, (v, i) => v - y[i]));
    let prevA = 0;
    let prevB = Infinity;
    for (const t of [0.1, 0.3, 0.5, 0.7, 0.9]) {
      const p = slerp(a, b, t);
      expect(dist(p, a)).toBeGreaterThan(prevA);
      expect(dist(p, b)).toBeLessThan(prevB);
      prevA = dist(p, a);
      prevB = dist(p, b);
    }
  });

  it('slerp of (nearly) parallel vectors falls back to lerp instead of dividing by ~0', () => {
    const c = Float32Array.from(a, (v) => v * 2);
    const p = slerp(a, c, 0.5);
    for (let i = 0; i < a.length; i += 101) expect(p[i]).toBeCloseTo(a[i] * 1.5, 5);
    expect(() => slerp(a, randn(3, 10), 0.5)).toThrow(RangeError);
  });
});
