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
