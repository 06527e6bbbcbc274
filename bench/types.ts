/** One measured quantity of a benchmark run, as every bench part reports it. */
export interface BenchRow {
  /** Which bench produced it, e.g. 'kernels'. */
  part: string;
  /** What was measured, unique within the part, e.g. 'hwcToNchw 1024x1024 native'. */
  name: string;
  /** Unit of median/min/max, e.g. 'ms'. */
  unit: string;
  median: number;
  min: number;
  max: number;
  /** Number of samples. */
  n: number;
  /** `name` of the row this one is compared with (same part). */
  baseline?: string;
  /** median / baseline's median (for times: < 1 means faster than the baseline). */
  ratio?: number;
  /**
   * The figure is not to be trusted: a fitted slope whose sign the data cannot settle, or one
   * below zero for a quantity that cannot fall. The table then says "too noisy" beside it.
   */
  noisy?: boolean;
  /** A fitted slope's middle half of pairwise slopes (its quartiles): how sure the sign is. */
  interval?: [number, number];
  /** One short remark printed beside the figure (how it was fitted, what min/max mean). */
  note?: string;
}

/** What every bench part receives from the harness. */
export interface BenchOptions {
  /** A short run (CI smoke): fewer repetitions and sizes. */
  quick: boolean;
  /** Reports what is being measured now (stderr, so tables on stdout stay clean). */
  progress: (msg: string) => void;
}

/** A bench part: measures, with baselines from the same run, and returns its rows. */
export type BenchPart = (opts: BenchOptions) => Promise<BenchRow[]>;
