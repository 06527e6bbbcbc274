/**
 * One process-wide budget of request-body bytes held in memory. Every body being read holds a
 * share (what its reader keeps: the JSON structure and short strings; long strings go to the
 * input store as they arrive and stop counting once written). A body that cannot get its share
 * is refused with 503 before more of it is read, so many slow or large uploads at once cannot
 * exhaust memory.
 */
export class InflightBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.used;
  }

  /** Takes `n` bytes if they fit; false (and nothing taken) otherwise. */
  tryTake(n: number): boolean {
    if (n <= 0) return true;
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}
