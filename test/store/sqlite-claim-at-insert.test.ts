/**
 * Claim at insert (SqliteTaskStore.createClaimed): the row a claimed insert writes is the row
 * create() then markStarted() would leave (In Progress, started, attempt 1), it shares the group
 * commit with plain inserts (one bad row still refuses only itself), an Idempotency-Key records the
 * 202's "Queueing" body, and crash recovery treats it as any claimed task: re-queued with its
 * attempt counted, or Failed once those reach the limit.
 */
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteTaskStore } from '../../src/store/sqlite-store.js';
import type { NewTask } from '../../src/store/task-store.js';

const task = (id: string, extra: Partial<NewTask> = {}): NewTask => ({
  ticket_id: id, task_type: 'image_upscale', user_id: 'u', params: { scale: 2 }, serv_name: 'front', created_at: '2026-01-01T00:00:00.000Z', ...extra,
});
const fileIn = (name: string) => join(mkdtempSync(join(tmpdir(), `backserv-claim-${name}-`)), 'tasks.sqlite');

describe('SQLite store: claim at insert', () => {
  it('writes the row create + markStarted would leave, in the same group commit as plain inserts', async () => {
    const store = new SqliteTaskStore(fileIn('row'));
    await store.create(task('taken'));
    // One turn: a plain insert, a claimed one, a duplicate (refused alone), another claimed one.
    const plain = store.create(task('plain'));
    // The record comes at once and nothing is written until commit() (the run starts first); seq is set by the insert.
    const claim = store.createClaimed(task('claimed'), 'node-a');
    expect(claim.record).toMatchObject({ ticket_id: 'claimed', status: 'In Progress', serv_name: 'node-a', attempts: 1, seq: 0 });
    const results = await Promise.allSettled([plain, claim.commit(), store.create(task('taken')), store.createClaimed(task('claimed2'), 'node-a').commit()]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseFulfilledResult<unknown>).value).toBe(claim.record);
    const claimed = await store.get('claimed');
    expect(claimed).toEqual(claim.record);
    expect(claimed!.seq).toBeGreaterThan((await store.get('plain'))!.seq);
    await store.markStarted('plain', 'node-a', claimed!.started_at!);
    const started = await store.get('plain');
    // Everything but the identity and the order of acceptance is what a normal claim leaves.
    const { ticket_id: _a, seq: _b, ...viaClaim } = started!;
    const { ticket_id: _c, seq: _d, ...atInsert } = claimed!;
    expect(atInsert).toEqual(viaClaim);
    expect(atInsert).toMatchObject({ status: 'In Progress', serv_name: 'node-a', attempts: 1, params: { scale: 2 } });
    expect(claimed!.seq).toBeLessThan((await store.get('claimed2'))!.seq);
    // Not queued: it is already claimed (no second claim can take it).
    expect((await store.listQueued()).map((q) => q.ticket_id)).toEqual(['taken']);
    expect(await store.markStarted('claimed', 'node-b', 'T')).toBeNull();
    expect(await store.complete('claimed', { file: 'x.png', content_type: 'image/png' }, 'T9', 1)).toBe(true);
    await store.close();
  });

  it("records the Idempotency-Key's 202 body as Queueing, with the submitting serv", async () => {
    const file = fileIn('idem');
    const store = new SqliteTaskStore(file);
    await store.createClaimed(task('k', { idempotency: { key: 'key-1', fingerprint: 'f', ttlMs: 60_000 } }), 'node-a').commit();
    await store.close();
    const db = new Database(file, { readonly: true });
    const row = db.prepare('SELECT status, body FROM idempotency_keys WHERE key = ?').get('key-1') as { status: number; body: string };
    db.close();
    expect(row.status).toBe(202);
    expect(JSON.parse(row.body)).toEqual({ ticket_id: 'k', serv_name: 'front', status: 'Queueing' });
  });

  it('after a crash, recovery re-queues a task claimed at insert with its attempt counted, and fails it at the limit', async () => {
    const file = fileIn('recover');
    let store = new SqliteTaskStore(file);
    await store.createClaimed(task('a'), 'node-a').commit();
    await store.createClaimed(task('b'), 'node-a').commit();
    await store.markStarted('b', 'node-a', 'T'); // a no-op: already claimed
    await store.close(); // as after kill -9: the rows stay In Progress
    store = new SqliteTaskStore(file);
    expect(await store.recoverInterrupted(3, 'T1')).toEqual({ requeued: ['a', 'b'], failed: [] });
    expect(await store.get('a')).toMatchObject({ status: 'Queueing', attempts: 1 });
    expect((await store.markStarted('a', 'node-a', 'T2'))?.attempts).toBe(2);
    await store.createClaimed(task('c'), 'node-a').commit();
    await store.close();
    store = new SqliteTaskStore(file);
    const report = await store.recoverInterrupted(1, 'T3');
    expect(report.failed.sort()).toEqual(['a', 'c']);
    expect(await store.get('c')).toMatchObject({ status: 'Failed', error_code: 'worker_crashed', attempts: 1 });
    await store.close();
  });
});
