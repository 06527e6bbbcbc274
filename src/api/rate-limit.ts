/**
 * Per-user token bucket: a burst of up to `perMinute` submits, refilled at perMinute/60 per
 * second. In memory for one node (a restart forgives everyone); scale-out shares the buckets
 * in Redis (rate-limit-redis.ts) so a user cannot multiply the limit by the number of nodes.
 */
import { ApiError } from '../tasks/errors.js';

export interface SubmitLimiter {
  /** Takes one token for `user` or throws 429 rate_limited with Retry-After (seconds). */
  take(user: string): void | Promise<void>;
}

/** The 429 for a bucket holding `tokens` (< 1) that refills at perMinute per minute. */
export function rateLimited(user: string, perMinute: number, tokens: number): ApiError {
  const ratePerMs = perMinute / 60_000;
  const waitS = Math.max(1, Math.ceil((1 - tokens) / ratePerMs / 1000));
  return new ApiError('rate_limited', `user_id ${user} is over the limit of ${perMinute} submits per minute; retry in ${waitS} s.`,
    { 'Retry-After': String(waitS) });
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter implements SubmitLimiter {
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
      throw rateLimited(user, this.perMinute, b.tokens);
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
