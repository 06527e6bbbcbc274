/**
 * The One Euro filter (Casiez, Roussel and Vogel, CHI 2012): an exponential low-pass whose
 * cutoff rises with the signal's speed, so a still face is smoothed hard (no jitter) while a
 * moving one is followed closely (little lag). Pure, one value per channel, many channels at
 * once (a face's landmarks are one vector). Time is given per sample, so a dropped frame or a
 * variable frame rate keeps the filter's meaning.
 */

export interface OneEuroOptions {
  /** Cutoff (Hz) at zero speed: lower smooths more when still. */
  minCutoff: number;
  /** How fast the cutoff rises with speed (per unit/s of the signal). */
  beta: number;
  /** Cutoff (Hz) of the speed estimate itself. */
  dCutoff: number;
}

/** Smoothing factor of an exponential filter with cutoff `fc` (Hz) sampled every `dt` s. */
export function alpha(fc: number, dt: number): number {
  const tau = 1 / (2 * Math.PI * fc);
  return 1 / (1 + tau / dt);
}

export class OneEuroFilter {
  private x: Float64Array | null = null;
  private dx: Float64Array | null = null;
  private t = 0;

  constructor(private readonly o: OneEuroOptions) {
    if (!(o.minCutoff > 0) || !(o.dCutoff > 0) || !(o.beta >= 0)) throw new RangeError('One Euro: cutoffs must be > 0 and beta ≥ 0');
  }

  /** Filters one sample (any number of channels, the same every call) taken at `time` seconds. */
  filter(value: ArrayLike<number>, time: number): Float64Array {
    if (!this.x || !this.dx || this.x.length !== value.length) {
      this.x = Float64Array.from(value);
      this.dx = new Float64Array(value.length);
      this.t = time;
      return Float64Array.from(this.x);
    }
    const dt = time - this.t;
    // A repeated or backward timestamp carries no speed information: keep the last output.
    if (!(dt > 0)) return Float64Array.from(this.x);
    this.t = time;
    const ad = alpha(this.o.dCutoff, dt);
    const x = this.x, dx = this.dx;
    for (let i = 0; i < value.length; i++) {
      const d = (value[i] - x[i]) / dt;
      dx[i] += ad * (d - dx[i]);
      const a = alpha(this.o.minCutoff + this.o.beta * Math.abs(dx[i]), dt);
      x[i] += a * (value[i] - x[i]);
    }
    return Float64Array.from(x);
  }

  reset(): void {
    this.x = null;
    this.dx = null;
  }
}
