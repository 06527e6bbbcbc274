/** Repetitions, interleaving and summaries: every figure is a median with its spread and n. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function summarize(samples: readonly number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  const median = n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { median, min: s[0], max: s[n - 1], n };
}

/**
 * Runs each variant `reps` times in alternation after one warm-up each, so a noisy neighbour
 * slows all variants alike and the ratios stay meaningful. The order rotates every repetition
 * (a b c, b c a, c a b …): a variant's time depends on what ran just before it (the previous
 * one's cleanup, GC and thread wake-ups land in the next), which in a fixed order biased the
 * queue bench's round trips by tens of µs.
 */
export async function interleave<K extends string>(variants: Record<K, () => Promise<number> | number>, reps: number): Promise<Record<K, number[]>> {
  const keys = Object.keys(variants) as K[];
  const out = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (const k of keys) await variants[k]();
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < keys.length; i++) {
      const k = keys[(r + i) % keys.length];
      out[k].push(await variants[k]());
    }
  }
  return out;
}

/** Milliseconds taken by `fn`. */
export async function timeMs(fn: () => unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** The q-quantile (0…1) of sorted samples, interpolated linearly. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export interface SlopeFit {
  /** Theil–Sen estimate: the median of the slopes between every two points with different x. */
  slope: number;
  /** Median of y − slope·x. */
  intercept: number;
  /** Points fitted. */
  n: number;
  /** Smallest and largest slope between two points. */
  min: number;
  max: number;
  /** Quartiles of the slopes between two points: where the middle half of them lie. */
  q1: number;
  q3: number;
  /**
   * The data cannot say which way the line goes: fewer than 3 points (or x values), or the middle
   * half of the pairwise slopes has both signs. A slope that must be positive (a time per step)
   * is also flagged when it comes out ≤ 0 (see `positive`).
   */
  noisy: boolean;
}

/**
 * Robust straight-line fit (Theil–Sen) over three points or more: one outlier, such as a GC pause
 * or a noisy neighbour, moves it far less than it moves a least-squares line or a two-point
 * difference. `positive`: the quantity cannot really fall (time per step), so a slope ≤ 0 means
 * the run was too noisy, never a result.
 */
export function fitSlope(points: readonly (readonly [number, number])[], opts: { positive?: boolean } = {}): SlopeFit {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dx = points[j][0] - points[i][0];
      if (dx !== 0) slopes.push((points[j][1] - points[i][1]) / dx);
    }
  }
  slopes.sort((a, b) => a - b);
  const slope = quantile(slopes, 0.5);
  const intercept = summarize(points.map(([x, y]) => y - slope * x)).median;
  const q1 = quantile(slopes, 0.25);
  const q3 = quantile(slopes, 0.75);
  const xs = new Set(points.map((p) => p[0])).size;
  const noisy = points.length < 3 || xs < 3 || !Number.isFinite(slope) || (q1 < 0 && q3 > 0) || (opts.positive === true && slope <= 0);
  return { slope, intercept, n: points.length, min: slopes[0] ?? NaN, max: slopes[slopes.length - 1] ?? NaN, q1, q3, noisy };
}

/**
 * A row of per-repetition slopes (one fit each): median, min, max and n of the slopes, flagged
 * too noisy when any fit was, so a slope below zero is never shown as if it were a result.
 */
export function slopeRow(part: string, name: string, unit: string, fits: readonly SlopeFit[], note: string): {
  part: string; name: string; unit: string; median: number; min: number; max: number; n: number; noisy: boolean; note: string;
} {
  const s = summarize(fits.map((f) => f.slope));
  return { part, name, unit, ...s, noisy: fits.some((f) => f.noisy) || s.min <= 0, note };
}
