import { describe, expect, it } from 'vitest';
import { FairQueue } from '../../src/queue/fair-queue.js';

function drain(q: FairQueue): string[] {
  const order: string[] = [];
  for (let e = q.shift(); e; e = q.shift()) order.push(e.ticketId);
  return order;
}

describe('FairQueue', () => {
  it('serves users round-robin: a newcomer waits at most one turn behind a user with 500 tasks', () => {
    const q = new FairQueue();
    for (let i = 0; i < 500; i++) q.push(`a${i}`, 'alice');
    expect(q.shift()?.ticketId).toBe('a0'); // alice's first task is running
    q.push('b0', 'bob');
    const next = [q.shift()!.ticketId, q.shift()!.ticketId];
    expect(next).toContain('b0');
    expect(q.size).toBe(498);
  });

  it('interleaves three users and keeps each user FIFO', () => {
    const q = new FairQueue();
    for (let i = 0; i < 3; i++) {
      q.push(`a${i}`, 'a');
    }
    q.push('b0', 'b');
    q.push('b1', 'b');
    q.push('c0', 'c');
    expect(drain(q)).toEqual(['a0', 'b0', 'c0', 'a1', 'b1', 'a2']);
  });

  it('remove() takes a queued ticket out and reports whether it was there', () => {
    const q = new FairQueue();
    q.push('a0', 'a');
    q.push('a1', 'a');
    q.push('b0', 'b');
    expect(q.remove('a0')).toBe(true);
    expect(q.remove('a0')).toBe(false);
    expect(q.has('a1')).toBe(true);
    expect(drain(q)).toEqual(['a1', 'b0']);
    expect(q.remove('b0')).toBe(false);
  });

  it('position() equals the real claim order under random pushes, removes and shifts', () => {
    for (let round = 0; round < 50; round++) {
      const q = new FairQueue();
      let n = 0;
      const live: string[] = [];
      for (let op = 0; op < 120; op++) {
        const r = Math.random();
        if (r < 0.6) {
          const id = `t${n++}`;
          q.push(id, `u${Math.floor(Math.random() * 5)}`);
          live.push(id);
        } else if (r < 0.75 && live.length) {
          const id = live.splice(Math.floor(Math.random() * live.length), 1)[0];
          expect(q.remove(id)).toBe(true);
        } else {
          const e = q.shift();
          if (e) live.splice(live.indexOf(e.ticketId), 1);
        }
      }
      const predicted = new Map(live.map((id) => [id, q.position(id)]));
      const order = drain(q);
      expect(order.length).toBe(live.length);
      order.forEach((id, i) => expect(predicted.get(id)).toBe(i));
    }
  });

  it('stays fast with a long lane (no O(n) shift per claim)', () => {
    const q = new FairQueue();
    for (let i = 0; i < 100_000; i++) q.push(`t${i}`, 'bulk');
    const order = drain(q);
    expect(order[0]).toBe('t0');
    expect(order[99_999]).toBe('t99999');
    expect(q.size).toBe(0);
    expect(q.position('t5')).toBeNull();
  });

  it('pushFront puts an interrupted task first in its user\'s lane, also after shifts, and for a user with no lane', () => {
    const q = new FairQueue();
    for (const t of ['a1', 'a2', 'a3']) q.push(t, 'a');
    q.push('b1', 'b');
    expect(q.shift()?.ticketId).toBe('a1');
    q.pushFront('a1', 'a'); // the claimed task came back
    expect(q.position('a1')).toBe(1); // b's turn first: fairness between users holds
    q.pushFront('c0', 'c');
    expect(q.sizeOf('c')).toBe(1);
    const order: string[] = [];
    for (let e = q.shift(); e; e = q.shift()) order.push(e.ticketId);
    expect(order.slice(0, 2)).toContain('b1');
    expect(order.filter((t) => t.startsWith('a'))).toEqual(['a1', 'a2', 'a3']);
    expect(order).toHaveLength(5);
  });
});
