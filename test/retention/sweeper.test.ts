/**
 * The retention sweeper against both real task stores (SQLite file, Redis under a test prefix)
 * and a real results folder: expired results go and their records stay; expired finished tasks
 * go with their files and what the cleanups hold; the size cap evicts oldest first; queued and
 * running tasks are never touched; what is kept is measured. The clock is moved through `now`
 * and file ages through utimes, so nothing waits for real time.
 */
import { existsSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RetentionConfig } from '../../src/config/retention-settings.js';
import { silentLogger } from '../../src/infra/logging.js';
import { LocalResultStore } from '../../src/results/local-store.js';
import { RetentionSweeper, type ExpiringTask, type TicketCleanup } from '../../src/retention/sweeper.js';
import { RedisTaskStore } from '../../src/store/redis-store.js';
import { SqliteTaskStore } from '../../src/store/sqlite-store.js';
import type { TaskStore } from '../../src/store/task-store.js';
import { newTask } from '../store/conformance.js';
import { REDIS_URL, dropPrefix, testPrefix } from '../helpers/redis.js';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString();
const HOUR = 3600_000;
const OFF: RetentionConfig = { resultTtlS: 0, taskTtlS: 0, resultsMaxBytes: 0, sweepMs: 60_000 };

const prefixes: string[] = [];
afterAll(async () => {
  const redis = new Redis(REDIS_URL);
  for (const p of prefixes) await dropPrefix(redis, p);
  await redis.quit();
});

const stores: [string, () => TaskStore][] = [
  ['sqlite', () => new SqliteTaskStore(join(mkdtempSync(join(tmpdir(), 'backserv-ret-')), 't.sqlite'))],
  ['redis', () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    return new RedisTaskStore(new Redis(REDIS_URL), prefix, 30_000, true);
  }],
];

describe.each(stores)('retention sweeper over %s', (_name, open) => {
  let store: TaskStore;
  let dir: string;
  let results: LocalResultStore;
  beforeEach(() => {
    store = open();
    dir = mkdtempSync(join(tmpdir(), 'backserv-ret-results-'));
    results = new LocalResultStore(dir);
  });
  afterEach(async () => store.close());

  /** A result file of `bytes` bytes written `msAgo` before NOW. */
  function file(name: string, bytes: number, msAgo: number): string {
    writeFileSync(join(dir, name), Buffer.alloc(bytes, 7));
    const t = (NOW - msAgo) / 1000;
    utimesSync(join(dir, name), t, t);
    return name;
  }

  /** A task completed `msAgo` before NOW with a result file of that age. */
  async function completed(msAgo: number, bytes = 100): Promise<string> {
    const t = newTask();
    await store.create(t);
    await store.markStarted(t.ticket_id, 'n', iso(msAgo + 1000));
    const name = file(`${t.ticket_id}.png`, bytes, msAgo);
    await store.complete(t.ticket_id, { file: name, content_type: 'image/png' }, iso(msAgo));
    return t.ticket_id;
  }

  const sweeper = (settings: Partial<RetentionConfig>, cleanups: TicketCleanup[] = []) =>
    new RetentionSweeper({ settings: { ...OFF, ...settings }, store, results, cleanups, log: silentLogger(), now: () => NOW });

  it('with every limit off deletes nothing and measures what is kept', async () => {
    const a = await completed(400 * 24 * HOUR, 300);
    const b = await completed(1000, 200);
    file('.x.png.123.tmp', 999, 0); // an unfinished write is not a result
    const s = sweeper({});
    await s.sweep();
    expect(readdirSync(dir).sort()).toEqual([`${a}.png`, `${b}.png`, '.x.png.123.tmp'].sort());
    expect(s.snapshot()).toMatchObject({ resultsBytes: 500, resultsFiles: 2, resultsExpired: 0, resultsEvicted: 0, tasksExpired: 0, sweeps: 1 });
    expect((await store.get(a))?.status).toBe('Completed');
  });

  it('deletes results past the result TTL and keeps their task records', async () => {
    const old = await completed(2 * HOUR, 300);
    const young = await completed(10 * 60_000, 200);
    const stranger = file('0123456789abcdef0123456789abcdef', 50, 5 * HOUR); // not a result name: never touched
    const s = sweeper({ resultTtlS: 3600 });
    await s.sweep();
    expect(existsSync(join(dir, `${old}.png`))).toBe(false);
    expect(existsSync(join(dir, `${young}.png`))).toBe(true);
    expect(existsSync(join(dir, stranger))).toBe(true);
    expect(await store.get(old)).toMatchObject({ status: 'Completed', result: { file: `${old}.png` } });
    expect(s.snapshot()).toMatchObject({ resultsExpired: 1, resultsExpiredBytes: 300, resultsBytes: 200, resultsFiles: 1 });
    await s.sweep(); // again: nothing more to do, nothing fails
    expect(s.snapshot()).toMatchObject({ resultsExpired: 1, sweeps: 2, failedSweeps: 0 });
  });

  it('evicts the oldest results first until the rest fits under the size cap, never very recent ones', async () => {
    const names = [5, 4, 3, 2].map((h) => file(`r${h}.png`, 1000, h * HOUR)); // r5 is the oldest
    const fresh = file('fresh.png', 5000, 1000); // written a second ago: within the grace
    const s = sweeper({ resultsMaxBytes: 7000 });
    await s.sweep();
    // 9000 bytes: r5 and r4 go (oldest first), then 7000 fit.
    expect(readdirSync(dir).sort()).toEqual(['fresh.png', 'r2.png', 'r3.png']);
    expect(s.snapshot()).toMatchObject({ resultsEvicted: 2, resultsEvictedBytes: 2000, resultsBytes: 7000, resultsFiles: 3 });
    expect(names).toHaveLength(4);
    // A cap below the fresh file alone evicts every older file but not the fresh one.
    const t = sweeper({ resultsMaxBytes: 1 });
    await t.sweep();
    expect(readdirSync(dir)).toEqual([fresh]);
    expect(t.snapshot()).toMatchObject({ resultsEvicted: 2, resultsBytes: 5000, resultsFiles: 1 });
  });

  it('deletes finished tasks past the task TTL with their result files and what the cleanups hold', async () => {
    const doneOld = await completed(3 * HOUR);
    const failedOld = newTask();
    await store.create(failedOld);
    // A minute after doneOld: equal times would leave the order to the ticket ids.
    await store.fail(failedOld.ticket_id, { code: 'invalid_params', message: 'no' }, iso(3 * HOUR - 60_000));
    const cancelledOld = newTask();
    await store.create(cancelledOld);
    await store.cancel(cancelledOld.ticket_id, iso(2 * HOUR));
    const doneYoung = await completed(30 * 60_000);
    // Queued and running since long before the cut-off: never touched.
    const queued = newTask({ created_at: iso(100 * HOUR) });
    await store.create(queued);
    const running = newTask({ created_at: iso(100 * HOUR) });
    await store.create(running);
    await store.markStarted(running.ticket_id, 'n', iso(99 * HOUR));
    file(`${running.ticket_id}.png`, 10, 99 * HOUR); // e.g. left by an earlier attempt

    const seen: ExpiringTask[] = [];
    const params: unknown[] = [];
    const s = sweeper({ taskTtlS: 3600 }, [async (t) => {
      seen.push(t);
      params.push((await t.record())?.params);
    }]);
    await s.sweep();
    for (const id of [doneOld, failedOld.ticket_id, cancelledOld.ticket_id]) expect(await store.get(id)).toBeNull();
    expect(existsSync(join(dir, `${doneOld}.png`))).toBe(false);
    expect((await store.get(doneYoung))?.status).toBe('Completed');
    expect(existsSync(join(dir, `${doneYoung}.png`))).toBe(true);
    expect((await store.get(queued.ticket_id))?.status).toBe('Queueing');
    expect((await store.get(running.ticket_id))?.status).toBe('In Progress');
    expect(existsSync(join(dir, `${running.ticket_id}.png`))).toBe(true);
    // The cleanups saw each expired task, oldest first, and could still read its record.
    expect(seen.map((t) => [t.ticket_id, t.status])).toEqual([
      [doneOld, 'Completed'], [failedOld.ticket_id, 'Failed'], [cancelledOld.ticket_id, 'Cancelled'],
    ]);
    expect(seen[0].result_file).toBe(`${doneOld}.png`);
    expect(params).toEqual([newTask().params, failedOld.params, cancelledOld.params]);
    expect(s.snapshot()).toMatchObject({ tasksExpired: 3 });
    expect(await store.countByStatus()).toMatchObject({ Completed: 1, Failed: 0, Cancelled: 0, Queueing: 1, 'In Progress': 1 });
  });

  it('keeps a task whose cleanup failed, and deletes it on a later sweep once the cleanup succeeds', async () => {
    const a = await completed(3 * HOUR);
    const b = await completed(2 * HOUR);
    let failing = true;
    const s = sweeper({ taskTtlS: 3600 }, [async (t) => {
      if (failing && t.ticket_id === a) throw new Error('input store unreachable');
    }]);
    await s.sweep();
    expect((await store.get(a))?.status).toBe('Completed');
    expect(await store.get(b)).toBeNull();
    failing = false;
    await s.sweep();
    expect(await store.get(a)).toBeNull();
    expect(s.snapshot()).toMatchObject({ tasksExpired: 2, failedSweeps: 0 });
  });

  it('pages through many expired tasks in one sweep', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 230; i++) {
      const t = newTask();
      await store.create(t);
      await store.cancel(t.ticket_id, iso(2 * HOUR + i));
      ids.push(t.ticket_id);
    }
    const s = sweeper({ taskTtlS: 3600 });
    await s.sweep();
    expect(s.snapshot().tasksExpired).toBe(230);
    expect(await store.finishedBefore(iso(0), 10)).toEqual([]);
  });

  it('two sweepers at once delete each thing once and both succeed', async () => {
    const ids = await Promise.all([1, 2, 3].map((h) => completed(h * 2 * HOUR)));
    const young = await completed(60_000);
    const a = sweeper({ taskTtlS: 3600 });
    const b = sweeper({ taskTtlS: 3600 });
    await Promise.all([a.sweep(), b.sweep()]);
    for (const id of ids) expect(await store.get(id)).toBeNull();
    expect(readdirSync(dir)).toEqual([`${young}.png`]);
    expect(a.snapshot().tasksExpired + b.snapshot().tasksExpired).toBe(3);
    expect(a.snapshot().failedSweeps + b.snapshot().failedSweeps).toBe(0);
  });
});
