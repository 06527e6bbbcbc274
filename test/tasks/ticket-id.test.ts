/**
 * Ticket ids are UUID version 7: time-ordered (so each new task lands on the last page of the
 * stores' ticket-id index) and still unguessable. Plus what that ordering buys, measured in pages:
 * a group commit of submits writes the same few index pages however many tasks it holds.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteTaskStore } from '../../src/store/sqlite-store.js';
import { newTicketId } from '../../src/tasks/ticket-id.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('ticket ids', () => {
  it('are RFC 9562 version 7: the millisecond time first, then the version and variant bits', () => {
    const at = Date.UTC(2026, 11, 3, 12, 0, 0, 123);
    const id = newTicketId(at);
    expect(id).toMatch(V7);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  it('sort by creation time, and never repeat (74 random bits each)', () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => newTicketId(1_700_000_000_000 + Math.floor(i / 100)));
    expect(new Set(ids).size).toBe(ids.length);
    // Across milliseconds the text order is the time order; within one, the random bits decide.
    const firsts = ids.filter((_, i) => i % 100 === 0);
    expect([...firsts].sort()).toEqual(firsts);
    // The random part is not a counter: within one millisecond, ids are not generated in order.
    const sameMs = ids.slice(0, 100);
    expect([...sameMs].sort()).not.toEqual(sameMs);
    for (const id of ids.slice(0, 50)) expect(id).toMatch(V7);
  });

  it('make a group commit of many submits write far fewer pages than random ids do', async () => {
    const pagesFor = async (id: () => string) => {
      const file = join(mkdtempSync(join(tmpdir(), 'backserv-ids-')), 'tasks.sqlite');
      const store = new SqliteTaskStore(file);
      const submit = () => store.create({ ticket_id: id(), task_type: 'image_upscale', user_id: 'u', params: {}, serv_name: 'n', created_at: 'T' });
      // A table of a few thousand tasks first, so the index has many pages for random ids to land on.
      for (let i = 0; i < 40; i++) await Promise.all(Array.from({ length: 100 }, submit));
      const frames = () => (statSync(`${file}-wal`).size - 32) / (4096 + 24);
      store['db'].pragma('wal_checkpoint(TRUNCATE)');
      await Promise.all(Array.from({ length: 32 }, submit)); // one group commit of 32 submits
      const pages = frames();
      await store.close();
      return pages;
    };
    const ordered = await pagesFor(() => newTicketId());
    const random = await pagesFor(randomUUID);
    // Measured: 11 pages (rows, index and queue-index tails, their splits) against 35.
    expect(ordered).toBeLessThanOrEqual(16);
    expect(random).toBeGreaterThan(2.5 * ordered);
  });
});
