/** The one queue_full answer of both modes: which cap, how deep, and Retry-After from the slots. */
import { describe, expect, it } from 'vitest';
import { queueFullError, retryAfterSeconds } from '../../src/queue/queue-full.js';

describe('queue_full', () => {
  it('Retry-After is the waiting tasks over the slots draining them, between 1 s and 10 min', () => {
    expect(retryAfterSeconds(40, 1)).toBe(40);
    expect(retryAfterSeconds(40, 8)).toBe(5);
    expect(retryAfterSeconds(41, 8)).toBe(6);
    expect(retryAfterSeconds(0, 4)).toBe(1);
    expect(retryAfterSeconds(5, 0)).toBe(5); // no worker seen yet: one slot
    expect(retryAfterSeconds(1_000_000, 2)).toBe(600);
  });

  it('names the cap that was reached', () => {
    const global = queueFullError({ scope: 'global', depth: 40, limit: 40, userId: 'u', slots: 4 });
    expect(global).toMatchObject({ code: 'queue_full', status: 429, headers: { 'Retry-After': '10' } });
    expect(global.message).toBe('The server queue is full (40 tasks waiting); retry later.');
    const mine = queueFullError({ scope: 'user', depth: 30, limit: 30, userId: 'greedy', slots: 1 });
    expect(mine.headers).toEqual({ 'Retry-After': '30' });
    expect(mine.message).toBe('user_id greedy already has 30 tasks waiting (limit 30); retry when some finish.');
  });
});
