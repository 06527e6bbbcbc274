/**
 * The SQLite store keeps rows it has read (row-cache.ts) so polling query_task costs no SQLite
 * read: a read row is served from memory, and every write method of the store makes the next read
 * see its change, even when the row was read (and kept) just before the write.
 */
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteTaskStore } from '../../src/store/sqlite-store.js';
import type { NewTask } from '../../src/store/task-store.js';

const task = (id: string): NewTask => ({ ticket_id: id, task_type: 'image_upscale', user_id: 'u', params: { scale: 2 }, serv_name: 'n', created_at: '2026-01-01T00:00:00.000Z' });
const open = () => {
  const file = join(mkdtempSync(join(tmpdir(), 'backserv-rowcache-')), 'tasks.sqlite');
  return { file, store: new SqliteTaskStore(file) };
};

describe('SQLite store: rows kept between writes', () => {
  it('serves a row it has read from memory (a write from outside the store is not seen until the store writes it)', async () => {
    const { file, store } = open();
    await store.create(task('a'));
    expect((await store.get('a'))?.status).toBe('Queueing');
    const outside = new Database(file);
    outside.prepare(`UPDATE tasks SET user_id = 'changed outside' WHERE ticket_id = 'a'`).run();
    outside.close();
    expect((await store.get('a'))?.user_id).toBe('u'); // kept: no SQLite read
    await store.setProgress('a', { step: 1, total: 2, percent: 50 }); // a no-op for a queued task, but a write
    expect((await store.get('a'))?.user_id).toBe('changed outside');
    await store.close();
  });

  it('every write method makes the next read see the row as written', async () => {
    const { store } = open();
    const seen = async (id: string) => store.get(id);
    for (const id of ['a', 'b', 'c', 'd', 'e']) await store.create(task(id));

    await seen('a');
    await store.markStarted('a', 'n2', 'T1');
    expect(await seen('a')).toMatchObject({ status: 'In Progress', serv_name: 'n2', attempts: 1 });
    await store.setProgress('a', { step: 1, total: 4, percent: 25 });
    expect((await seen('a'))?.progress).toEqual({ step: 1, total: 4, percent: 25 });
    await store.complete('a', { file: 'a.png', content_type: 'image/png' }, 'T2', 1);
    expect(await seen('a')).toMatchObject({ status: 'Completed', result: { file: 'a.png' }, completed_at: 'T2' });

    await seen('b');
    await store.fail('b', { code: 'invalid_params', message: 'no' }, 'T3');
    expect(await seen('b')).toMatchObject({ status: 'Failed', error_code: 'invalid_params' });

    await seen('c');
    await store.cancel('c', 'T4');
    expect((await seen('c'))?.status).toBe('Cancelled');

    await store.markStarted('d', 'n', 'T5');
    await seen('d');
    await store.interrupt('d', { attempt: 1, countsAsAttempt: false, maxAttempts: 3, at: 'T6' });
    expect(await seen('d')).toMatchObject({ status: 'Queueing', attempts: 0 });

    await store.markStarted('e', 'n', 'T7');
    await seen('e');
    await store.recoverInterrupted(3, 'T8');
    expect(await seen('e')).toMatchObject({ status: 'Queueing', attempts: 1 });

    await seen('c');
    expect(await store.deleteFinished(['c'], 'T9')).toEqual(['c']);
    expect(await seen('c')).toBeNull();
    await store.close();
  });

  it('gives each caller its own record objects', async () => {
    const { store } = open();
    await store.create(task('a'));
    const first = await store.get('a');
    first!.params.scale = 99;
    expect((await store.get('a'))?.params).toEqual({ scale: 2 });
    await store.close();
  });
});
