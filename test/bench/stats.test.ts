/** The bench's statistics: summaries (median, min, max, n) and the robust slope fit with its noise flag. */
import { describe, expect, it } from 'vitest';
import { fitSlope, quantile, summarize } from '../../bench/stats.js';

describe('summarize', () => {
  it('median of an odd and an even count, with min, max and n', () => {
    expect(summarize([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5, n: 3 });
    expect(summarize([4, 1, 3, 10])).toEqual({ median: 3.5, min: 1, max: 10, n: 4 });
    expect(summarize([7])).toEqual({ median: 7, min: 7, max: 7, n: 1 });
  });
});

describe('quantile', () => {
  it('interpolates between neighbours', () => {
    expect(quantile([0, 10, 20, 30, 40], 0.25)).toBe(10);
    expect(quantile([0, 10], 0.5)).toBe(5);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('fitSlope', () => {
  it('fits an exact line over five points', () => {
    const f = fitSlope([1, 2, 3, 4, 5].map((x) => [x, 2 * x + 1] as const));
    expect(f.slope).toBeCloseTo(2, 12);
    expect(f.intercept).toBeCloseTo(1, 12);
    expect(f).toMatchObject({ n: 5, noisy: false });
    expect(f.min).toBeCloseTo(2, 12);
    expect(f.max).toBeCloseTo(2, 12);
  });

  it('is not pulled off by one outlier (least squares would give 8.5 here)', () => {
    const pts = [0, 1, 2, 3, 4, 5].map((x) => [x, 2 * x] as [number, number]);
    pts[5][1] = 100;
    const f = fitSlope(pts);
    expect(f.slope).toBeCloseTo(2, 12);
    expect(f.noisy).toBe(false);
  });

  it('two points, or three with only two distinct x, are too few', () => {
    expect(fitSlope([[1, 1], [2, 2]]).noisy).toBe(true);
    expect(fitSlope([[1, 1], [1, 1.1], [2, 2]]).noisy).toBe(true);
  });

  it('flat data with noise of both signs is flagged (the sign is unsettled), with a slope near 0', () => {
    const ys = [0, 1, -1, 0.5, -0.5, 1, -1, 0, 0.8, -0.8];
    const f = fitSlope(ys.map((y, x) => [x, y] as const));
    expect(f.noisy).toBe(true);
    expect(Math.abs(f.slope)).toBeLessThan(0.2);
  });

  it('a steady fall is a result, unless the quantity cannot fall', () => {
    const pts = [0, 1, 2, 3].map((x) => [x, 10 - 3 * x] as const);
    expect(fitSlope(pts)).toMatchObject({ slope: -3, noisy: false });
    expect(fitSlope(pts, { positive: true })).toMatchObject({ slope: -3, noisy: true });
    expect(fitSlope([[1, 2], [4, 5], [8, 9]], { positive: true }).noisy).toBe(false);
  });
});
