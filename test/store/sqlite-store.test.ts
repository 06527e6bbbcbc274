import Database from 'better-sqlite3';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FINISHED_BEFORE_SQL, QUEUED_SQL } from '../../src/store/sqlite-schema.js';
import { SqliteTaskStore } from '../../src/store/sqlite-store.js';
import { taskStoreConformance } from './conformance.js';

taskStoreConformance('sqlite', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'backserv-store-')), 'tasks.sqlite');
  let current = new SqliteTaskStore(file);
  return {
    store: current,
    async reopen() {
      await current.close();
      current = new SqliteTaskStore(file);
      return current;
    },
  };
});

describe('SQLite store: a data folder from before error codes', () => {
  it('gains the error_code column on open, keeps its rows, and stores codes from then on', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'backserv-store-old-')), 'tasks.sqlite');
    // The tasks table as the first release created it (no error_code).
    const old = new Database(file);
    old.exec(`CREATE TABLE tasks (seq INTEGER PRIMARY KEY AUTOINCREMENT, ticket_id TEXT NOT NULL UNIQUE,
      task_type TEXT NOT NULL, user_id TEXT NOT NULL, params TEXT NOT NULL, status TEXT NOT NULL,
      serv_name TEXT NOT NULL, created_at TEXT NOT NULL, started_at TEXT, completed_at TEXT, error_info TEXT,
      result TEXT, progress TEXT, attempts INTEGER NOT NULL DEFAULT 0)`);
    old.prepare(`INSERT INTO tasks (ticket_id, task_type, user_id, params, status, serv_name, created_at, completed_at, error_info, attempts)
      VALUES ('old', 'image_upscale', 'u', '{}', 'Failed', 'n', 'T0', 'T1', 'it broke', 1)`).run();
    old.prepare(`INSERT INTO tasks (ticket_id, task_type, user_id, params, status, serv_name, created_at)
      VALUES ('waiting', 'image_upscale', 'u', '{}', 'Queueing', 'n', 'T0')`).run();
    old.close();

    let store = new SqliteTaskStore(file);
    expect(await store.get('old')).toMatchObject({ status: 'Failed', error_info: 'it broke', error_code: null });
    expect(await store.fail('waiting', { code: 'invalid_params', message: 'no' }, 'T2')).toBe(true);
    await store.close();
    store = new SqliteTaskStore(file); // opening a migrated file again changes nothing
    expect(await store.get('waiting')).toMatchObject({ status: 'Failed', error_code: 'invalid_params' });
    expect((await store.get('old'))?.error_code).toBeNull();
    await store.close();
  });
});

describe('SQLite store: a data folder from before batch keys', () => {
  it('gains the batch columns and a tasks_queue index covering them; old queued tasks list with no key', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'backserv-store-prebatch-')), 'tasks.sqlite');
    const old = new Database(file);
    old.exec(`CREATE TABLE tasks (seq INTEGER PRIMARY KEY AUTOINCREMENT, ticket_id TEXT NOT NULL UNIQUE,
      task_type TEXT NOT NULL, user_id TEXT NOT NULL, params TEXT NOT NULL, status TEXT NOT NULL,
      serv_name TEXT NOT NULL, created_at TEXT NOT NULL, started_at TEXT, completed_at TEXT, error_info TEXT,
      error_code TEXT, result TEXT, progress TEXT, attempts INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX tasks_queue ON tasks(status, seq, ticket_id, user_id, task_type, created_at)`);
    old.prepare(`INSERT INTO tasks (ticket_id, task_type, user_id, params, status, serv_name, created_at)
      VALUES ('waiting', 'image_creation', 'u', '{}', 'Queueing', 'n', 'T0')`).run();
    old.close();
    const store = new SqliteTaskStore(file);
    await store.create({ ticket_id: 'keyed', task_type: 'image_creation', user_id: 'u', params: { prompt: 'x' }, serv_name: 'n', created_at: 'T1', batch_key: 'image_creation:k', batch_images: 2 });
    expect((await store.listQueued()).map((t) => [t.ticket_id, t.batch_key, t.batch_images])).toEqual([['waiting', null, 1], ['keyed', 'image_creation:k', 2]]);
    expect(await store.get('keyed')).not.toHaveProperty('batch_key');
    await store.close();
    const db = new Database(file, { readonly: true });
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${QUEUED_SQL}`).all() as { detail: string }[];
    db.close();
    expect(plan.map((p) => p.detail).join(' | ')).toMatch(/USING COVERING INDEX tasks_queue/);
  });
});

describe('SQLite store: start-up reads small columns only', () => {
  it('lists the queue from the covering index, never from rows whose params are large', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'backserv-store-big-')), 'tasks.sqlite');
    const store = new SqliteTaskStore(file);
    const big = 'A'.repeat(1 << 20);
    for (let i = 0; i < 5; i++) {
      await store.create({ ticket_id: `t${i}`, task_type: 'image_upscale', user_id: `u${i % 2}`, params: { image_url: `data:image/png;base64,${big}` }, serv_name: 'n', created_at: `T${i}` });
    }
    const listed = await store.listQueued();
    expect(listed).toEqual([0, 1, 2, 3, 4].map((i) => ({ ticket_id: `t${i}`, user_id: `u${i % 2}`, task_type: 'image_upscale', seq: i + 1, created_at: `T${i}`, batch_key: null, batch_images: 1 })));
    await store.close();
    // The plan SQLite uses for that listing touches the index only (the params live in the rows).
    const db = new Database(file, { readonly: true });
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${QUEUED_SQL}`).all() as { detail: string }[];
    db.close();
    expect(plan.map((p) => p.detail).join(' | ')).toMatch(/USING COVERING INDEX tasks_queue/);
  });

  it('finds expired tasks through the finished index, not by scanning every row', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'backserv-store-fin-')), 'tasks.sqlite');
    const store = new SqliteTaskStore(file);
    await store.create({ ticket_id: 'a', task_type: 'image_upscale', user_id: 'u', params: {}, serv_name: 'n', created_at: 'T' });
    await store.cancel('a', '2026-01-01T00:00:00.000Z');
    expect((await store.finishedBefore('2026-01-02T00:00:00.000Z', 5)).map((t) => t.ticket_id)).toEqual(['a']);
    await store.close();
    const db = new Database(file, { readonly: true });
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${FINISHED_BEFORE_SQL}`).all('x', 5) as { detail: string }[]).map((p) => p.detail).join(' | ');
    db.close();
    expect(plan).toMatch(/USING INDEX tasks_finished/);
    expect(plan).not.toMatch(/TEMP B-TREE/); // already in completed_at order: no sort of every finished row
  });
});

describe('SQLite store: pages written per task', () => {
  it('writes three pages for a claimed insert, a plain insert and a completion, two for a claim', async () => {
    // On a virtualised host a commit costs mostly system calls, two per WAL frame (page): the
    // count guards the schema (an index, or AUTOINCREMENT's sqlite_sequence row, adds one to each).
    const file = join(mkdtempSync(join(tmpdir(), 'backserv-store-pages-')), 'tasks.sqlite');
    const store = new SqliteTaskStore(file);
    const t = (id: string) => ({ ticket_id: id, task_type: 'image_upscale' as const, user_id: 'u', params: {}, serv_name: 'n', created_at: 'T' });
    // A hundred tasks first, so that no write is the first on its page (and the WAL stays below
    // the 1,000 pages that trigger a checkpoint, after which it is rewritten from its start).
    for (let i = 0; i < 100; i++) {
      await store.createClaimed(t(`w${i}`), 'n').commit();
      await store.complete(`w${i}`, { file: 'x.png', content_type: 'image/png' }, 'T2', 1);
    }
    const frames = () => (statSync(`${file}-wal`).size - 32) / (4096 + 24);
    const pages: number[] = [];
    const step = async (write: () => Promise<unknown>) => {
      const before = frames();
      await write();
      pages.push(frames() - before);
    };
    await step(() => store.createClaimed(t('a'), 'n').commit());
    await step(() => store.complete('a', { file: 'a.png', content_type: 'image/png' }, 'T3', 1));
    await step(() => store.create(t('b')));
    await step(() => store.markStarted('b', 'n', 'T4'));
    expect(pages).toEqual([3, 3, 3, 2]);
    await store.close();
  });
});

describe('SQLite store: group commit', () => {
  const task = (id: string) => ({ ticket_id: id, task_type: 'image_upscale' as const, user_id: 'u', params: { n: id }, serv_name: 'n', created_at: 'T' });

  it('commits the submits of one event-loop turn together, in call order, each resolving only once committed', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'backserv-store-gc-')), 'tasks.sqlite');
    const store = new SqliteTaskStore(file);
    const reader = new Database(file, { readonly: true });
    const count = () => (reader.prepare('SELECT COUNT(*) AS n FROM tasks').get() as { n: number }).n;
    // The WAL only grows until a checkpoint (1,000 pages; these writes stay below): its size counts the pages written.
    const walFrames = () => statSync(`${file}-wal`).size;
    const before = walFrames();
    const pending = Array.from({ length: 50 }, (_, i) => store.create(task(`g${i}`)));
    expect(count()).toBe(0); // nothing is committed, and no promise has resolved, within the turn
    const recs = await Promise.all(pending);
    expect(count()).toBe(50);
    expect(recs.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(recs[7]).toMatchObject({ ticket_id: 'g7', status: 'Queueing', params: { n: 'g7' }, attempts: 0 });
    const grouped = walFrames() - before;
    // The same 50 one turn each: one commit apiece writes more WAL frames than the one shared commit.
    const loneBefore = walFrames();
    for (let i = 0; i < 50; i++) await store.create(task(`l${i}`));
    expect(walFrames() - loneBefore).toBeGreaterThan(grouped * 2);
    reader.close();
    await store.close();
  });

  it('a bad row refuses only its own submit; the others of its turn commit', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'backserv-store-gc2-')), 'tasks.sqlite');
    const store = new SqliteTaskStore(file);
    await store.create(task('taken'));
    const results = await Promise.allSettled([store.create(task('a')), store.create(task('taken')), store.create(task('b'))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await store.get('a'))?.status).toBe('Queueing');
    expect((await store.get('b'))?.status).toBe('Queueing');
    await store.close();
  });

  it('close commits what was submitted in the current turn', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'backserv-store-gc3-')), 'tasks.sqlite');
    let store = new SqliteTaskStore(file);
    const p = store.create(task('last'));
    await store.close();
    await expect(p).resolves.toMatchObject({ ticket_id: 'last' });
    store = new SqliteTaskStore(file);
    expect((await store.get('last'))?.status).toBe('Queueing');
    await store.close();
  });
});
