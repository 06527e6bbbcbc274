/**
 * The abort signal the pool hands Piscina with each run, so a cancel that outlives its grace
 * period can terminate the thread. Piscina accepts an EventEmitter-shaped signal (once/off); this
 * one-listener form costs next to nothing per run, where an AbortController's EventTarget
 * listener (added and removed on every run) cost about 25 µs of a ~0.1 ms pool round trip.
 */
export class KillSwitch {
  aborted = false;
  reason: unknown = undefined;
  private listener: (() => void) | null = null;

  /** Piscina registers its one abort listener per run here. */
  once(_event: 'abort', listener: () => void): void {
    this.listener = listener;
  }

  /** Piscina removes it when the run ends: its types name `off`, its code calls `removeListener`. */
  removeListener(_event: 'abort', listener: () => void): void {
    if (this.listener === listener) this.listener = null;
  }

  off(event: 'abort', listener: () => void): void {
    this.removeListener(event, listener);
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listener = this.listener;
    this.listener = null;
    listener?.();
  }
}
