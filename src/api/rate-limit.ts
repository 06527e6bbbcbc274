/**
 * Per-user token bucket: a burst of up to `perMinute` submits, refilled at perMinute/60 per
 * second. In memory on purpose: it protects this node; a restart forgives everyone.
 */
import { ApiError } from '../errors.js';

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly perMinute: number, private readonly now: () => number = Date.now) {}

  /** Takes one token for `user` or throws 429 rate_limited with Retry-After (seconds). */
  take(user: string): void {
    if (this.perMinute <= 0) return;
    const t = this.now();
    const ratePerMs = this.perMinute / 60_000;
    const b = this.buckets.get(user) ?? { tokens: this.perMinute, at: t };
    b.tokens = Math.min(this.perMinute, b.tokens + (t - b.at) * ratePerMs);
    b.at = t;
    if (b.tokens < 1) {
      this.buckets.set(user, b);
      const waitS = Math.max(1, Math.ceil((1 - b.tokens) / ratePerMs / 1000));
      throw new ApiError(429, 'rate_limited', `user_id ${user} is over the limit of ${this.perMinute} submits per minute; retry in ${waitS} s.`,
        { 'Retry-After': String(waitS) });
    }
    b.tokens -= 1;
    this.buckets.set(user, b);
    if (this.buckets.size > 10_000) this.sweep(t, ratePerMs);
  }

  /** Full buckets carry no information; dropping them bounds memory. */
  private sweep(t: number, ratePerMs: number): void {
    for (const [user, b] of this.buckets) {
      if (b.tokens + (t - b.at) * ratePerMs >= this.perMinute) this.buckets.delete(user);
    }
  }
}
