/**
 * The embedded scheduler's claim at insert: a task submitted while nothing is queued and a slot is
 * free is written In Progress in its insert's commit and goes to the pool with no claim write of its
 * own; everything else takes the fair queue as before. Real SQLite files and real worker threads;
 * the store is the real SqliteTaskStore, counting its markStarted calls (the separate claim write).
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inertWorkerEnv } from '../support/inert-worker-env.js';
import { silentLogger } from '../../src/infra/logging.js';
import { Scheduler, type SchedulerLimits } from '../../src/queue/scheduler.js';
import { SqliteTaskStore } from '../../src/store/sqlite-store.js';
import type { TaskRecord, TaskStatus, TaskType } from '../../src/tasks/types.js';
import { WorkerPool } from '../../src/workers/pool.js';

class CountingStore extends SqliteTaskStore {
  claims = 0;
  override async markStarted(ticketId: string, servName: string, at: string): Promise<TaskRecord | null> {
    this.claims++;
    return super.markStarted(ticketId, servName, at);
  }
}

interface Rig { store: CountingStore; pool: WorkerPool; scheduler: Scheduler; log: [string, TaskStatus, TaskRecord | null][] }
const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) {
    r.scheduler.stop();
    await r.pool.close();
    await r.store.close();
  }
});

async function rig(slots: number, limits: Partial<SchedulerLimits> = {}): Promise<Rig> {
  const store = new CountingStore(join(mkdtempSync(join(tmpdir(), 'backserv-cai-')), 'q.sqlite'));
  const pool = new WorkerPool({ size: slots, cancelGraceMs: 1000, env: inertWorkerEnv, workerFile: join(import.meta.dirname, '..', 'fixtures', 'channel-worker.ts') });
  const scheduler = new Scheduler(store, pool, 'node-a', { maxQueued: 1000, maxQueuedPerUser: 1000, maxAttempts: 3, ...limits }, silentLogger());
  const log: Rig['log'] = [];
  scheduler.events.on('status', (id, status, rec) => log.push([id, status, rec]));
  await scheduler.start();
  const r = { store, pool, scheduler, log };
  rigs.push(r);
  return r;
}

const submit = (s: Scheduler, user: string, params: Record<string, unknown> = {}, type: TaskType = 'image_upscale') => s.submit({
  ticket_id: randomUUID(), task_type: type, user_id: user, params, serv_name: 'front', created_at: new Date().toISOString(),
});
const statuses = (r: Rig, id: string) => r.log.filter((e) => e[0] === id).map((e) => e[1]);

describe('claim at insert', () => {
  it('runs a task submitted to an idle scheduler with no separate claim write; the answer and events read as before', async () => {
    const r = await rig(2);
    for (let i = 0; i < 5; i++) {
      const rec = await submit(r.scheduler, 'u');
      // The 202 is built from this: Queueing, the submitting serv, no attempt yet.
      expect(rec).toMatchObject({ status: 'Queueing', serv_name: 'front', started_at: null, attempts: 0 });
      await r.scheduler.whenIdle();
      expect(await r.store.get(rec.ticket_id)).toMatchObject({ status: 'Completed', serv_name: 'node-a', attempts: 1 });
      expect(statuses(r, rec.ticket_id)).toEqual(['Queueing', 'In Progress', 'Completed']);
      const started = r.log.find((e) => e[0] === rec.ticket_id && e[1] === 'In Progress')![2];
      expect(started).toMatchObject({ status: 'In Progress', attempts: 1 });
    }
    expect(r.store.claims).toBe(0);
  });

  it('takes only free slots: the rest queue, and the fair rotation serves them', async () => {
    const r = await rig(1);
    // One turn: the first is claimed at insert (and holds the only slot); the others queue.
    const [a1, a2, a3, b1] = await Promise.all([submit(r.scheduler, 'A', { hold: true }), submit(r.scheduler, 'A'), submit(r.scheduler, 'A'), submit(r.scheduler, 'B')]);
    expect((await r.store.get(a1.ticket_id))?.status).toBe('In Progress');
    for (const t of [a2, a3, b1]) expect((await r.store.get(t.ticket_id))?.status).toBe('Queueing');
    expect(await r.scheduler.queueStats()).toEqual({ queued: 3, running: 1 });
    expect(r.scheduler.queuePosition(b1.ticket_id)).toBe(1);
    expect(await r.scheduler.cancel(a1.ticket_id)).toEqual({ kind: 'cancelled', was: 'In Progress' });
    await r.scheduler.whenIdle();
    const order = r.log.filter((e) => e[1] === 'In Progress').map((e) => e[0]);
    expect(order).toEqual([a1, a2, b1, a3].map((t) => t.ticket_id));
    expect(r.store.claims).toBe(3);
  });

  it('never runs more tasks than the pool has slots, however submits and completions interleave', async () => {
    const r = await rig(2);
    const running = new Set<string>();
    let most = 0;
    r.scheduler.events.on('status', (id, status) => {
      if (status === 'In Progress') running.add(id);
      else running.delete(id);
      most = Math.max(most, running.size);
    });
    const all: Promise<TaskRecord>[] = [];
    for (let i = 0; i < 120; i++) {
      all.push(submit(r.scheduler, `u${i % 3}`, { steps: i % 4 }));
      if (i % 7 === 0) await new Promise((res) => setImmediate(res));
      if (i % 11 === 0) await new Promise((res) => setTimeout(res, 1));
    }
    const recs = await Promise.all(all);
    await r.scheduler.whenIdle();
    expect(most).toBeLessThanOrEqual(2);
    for (const rec of recs) expect(await r.store.get(rec.ticket_id)).toMatchObject({ status: 'Completed', attempts: 1 });
    expect(r.store.claims).toBeGreaterThan(0); // some queued meanwhile: both paths ran
    expect(r.store.claims).toBeLessThan(120);
  });

  it('cancels a task claimed at insert as soon as its submit is answered', async () => {
    const r = await rig(1);
    const rec = await submit(r.scheduler, 'u', { hold: true });
    expect(await r.scheduler.cancel(rec.ticket_id)).toEqual({ kind: 'cancelled', was: 'In Progress' });
    expect((await r.store.get(rec.ticket_id))?.status).toBe('Cancelled');
    await r.scheduler.whenIdle();
    expect(statuses(r, rec.ticket_id)).toEqual(['Queueing', 'In Progress', 'Cancelled']);
  });

  it('holds no claim while paused; one decided before the pause already runs and completes', async () => {
    const r = await rig(1);
    // Decided (and started) before the pause, committed after it: it runs, like any task claimed before a pause.
    const completed = new Promise<string>((res) => r.scheduler.events.on('status', (id, status) => status === 'Completed' && res(id)));
    const racing = submit(r.scheduler, 'u');
    r.scheduler.pause();
    const raced = await racing;
    const later = await submit(r.scheduler, 'u');
    expect(await completed).toBe(raced.ticket_id);
    expect(await r.store.get(raced.ticket_id)).toMatchObject({ status: 'Completed', attempts: 1 });
    expect(await r.store.get(later.ticket_id)).toMatchObject({ status: 'Queueing', attempts: 0 });
    expect(r.scheduler.queuePosition(later.ticket_id)).toBe(0);
    r.scheduler.resume();
    await r.scheduler.whenIdle();
    expect(await r.store.get(later.ticket_id)).toMatchObject({ status: 'Completed', attempts: 1 });
    expect(statuses(r, raced.ticket_id)).toEqual(['Queueing', 'In Progress', 'Completed']);
  });

  it('a run started while its insert commits is stopped and leaves no trace when the insert is refused', async () => {
    const r = await rig(1);
    // A real refusal inside the insert's commit (as a full disk would give): a trigger on the same file.
    const file = (r.store as unknown as { db: { name: string } }).db.name;
    const other = new Database(file);
    other.exec("CREATE TRIGGER refuse BEFORE INSERT ON tasks WHEN NEW.user_id = 'refused' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
    other.close();
    const refused = randomUUID();
    // It holds its slot until cancelled and reports progress: neither may reach the store.
    const outcome = r.scheduler.submit({
      ticket_id: refused, task_type: 'image_upscale', user_id: 'refused', params: { hold: true, steps: 3 }, serv_name: 'front', created_at: new Date().toISOString(),
    });
    expect(r.pool.idle).toBe(0); // the run started before the commit
    await expect(outcome).rejects.toThrow(/refused by the test/);
    await r.scheduler.whenIdle(); // the run was stopped: its slot is free again
    expect(r.pool.idle).toBe(1);
    expect(await r.store.get(refused)).toBeNull();
    expect(statuses(r, refused)).toEqual([]);
    const next = await submit(r.scheduler, 'u');
    await r.scheduler.whenIdle();
    expect(await r.store.get(next.ticket_id)).toMatchObject({ status: 'Completed', attempts: 1 });
  });

  it('a ticket id already running here is never run a second time', async () => {
    const r = await rig(2);
    const held = await submit(r.scheduler, 'u', { hold: true });
    const again = r.scheduler.submit({
      ticket_id: held.ticket_id, task_type: 'image_upscale', user_id: 'u', params: {}, serv_name: 'front', created_at: new Date().toISOString(),
    });
    await expect(again).rejects.toThrow(/UNIQUE/);
    expect(r.pool.idle).toBe(1);
    expect(await r.store.get(held.ticket_id)).toMatchObject({ status: 'In Progress', attempts: 1 });
    expect(await r.scheduler.cancel(held.ticket_id)).toEqual({ kind: 'cancelled', was: 'In Progress' });
    await r.scheduler.whenIdle();
    expect(statuses(r, held.ticket_id)).toEqual(['Queueing', 'In Progress', 'Cancelled']);
  });

  it('with cross-request batching on, a batchable task takes the queue path (a batch is filled from it)', async () => {
    const on = await rig(1, { maxBatch: 4 });
    const batchable = await submit(on.scheduler, 'u', { prompt: 'a cat' }, 'image_creation');
    await on.scheduler.whenIdle();
    expect((await on.store.get(batchable.ticket_id))?.status).toBe('Completed');
    expect(on.store.claims).toBe(1);
    // A task that never batches is claimed at insert even then.
    await submit(on.scheduler, 'u');
    await on.scheduler.whenIdle();
    expect(on.store.claims).toBe(1);
    const off = await rig(1, { maxBatch: 1 });
    await submit(off.scheduler, 'u', { prompt: 'a cat' }, 'image_creation');
    await off.scheduler.whenIdle();
    expect(off.store.claims).toBe(0);
  });
});
