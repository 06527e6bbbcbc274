/**
 * The TaskStore conformance suite: every implementation (SQLite now, Redis in scale-out)
 * runs exactly these cases.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewTask, TaskStore } from '../../src/store/task-store.js';

export function newTask(over: Partial<NewTask> = {}): NewTask {
  return {
    ticket_id: randomUUID(),
    task_type: 'image_upscale',
    user_id: 'u1',
    params: { image_url: 'https://example.com/a.png', scale_factor: 4 },
    serv_name: 'node-a',
    created_at: new Date().toISOString(),
    ...over,
  };
}

export function taskStoreConformance(name: string, open: () => Promise<{ store: TaskStore; reopen(): Promise<TaskStore> }>): void {
  describe(`TaskStore conformance: ${name}`, () => {
    let store: TaskStore;
    let reopen: () => Promise<TaskStore>;
    beforeEach(async () => {
      ({ store, reopen } = await open());
    });
    afterEach(async () => {
      await store.close();
    });

    it('creates a Queueing task and reads it back with every field', async () => {
      const t = newTask({ params: { image_url: 'data:image/png;base64,AAAA', nested: { a: [1, 2] } } });
      const rec = await store.create(t);
      expect(rec).toMatchObject({ ...t, status: 'Queueing', started_at: null, completed_at: null, error_info: null, error_code: null, result: null, attempts: 0 });
      expect(await store.get(t.ticket_id)).toEqual(rec);
      expect(await store.get('missing')).toBeNull();
    });

    it('assigns increasing seq in acceptance order and lists queued tasks in that order', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await store.create(newTask({ user_id: `u${i % 2}` }))).ticket_id);
      expect((await store.listQueued()).map((t) => t.ticket_id)).toEqual(ids);
      const seqs = (await store.listQueued()).map((t) => t.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    });

    it('runs the lifecycle Queueing → In Progress → Completed with compare-and-set transitions', async () => {
      const t = newTask();
      await store.create(t);
      expect(await store.complete(t.ticket_id, { file: 'x.png', content_type: 'image/png' }, 'T')).toBe(false);
      const started = await store.markStarted(t.ticket_id, 'node-b', '2026-01-01T00:00:00.000Z');
      expect(started).toMatchObject({ ticket_id: t.ticket_id, status: 'In Progress', attempts: 1, started_at: '2026-01-01T00:00:00.000Z', params: t.params });
      expect(await store.markStarted(t.ticket_id, 'node-b', 'later')).toBeNull();
      await store.setProgress(t.ticket_id, { step: 1, total: 4, percent: 25 });
      let rec = await store.get(t.ticket_id);
      expect(rec).toMatchObject({ status: 'In Progress', serv_name: 'node-b', attempts: 1, progress: { step: 1, total: 4, percent: 25 } });
      expect(await store.complete(t.ticket_id, { file: 'x.png', content_type: 'image/png', width: 8 }, '2026-01-01T00:00:01.000Z')).toBe(true);
      rec = await store.get(t.ticket_id);
      expect(rec).toMatchObject({ status: 'Completed', completed_at: '2026-01-01T00:00:01.000Z', result: { file: 'x.png', width: 8 } });
      // Final states are final.
      expect(await store.fail(t.ticket_id, { code: 'task_failed', message: 'late' }, 'T')).toBe(false);
      expect(await store.cancel(t.ticket_id, 'T')).toBeNull();
      await store.setProgress(t.ticket_id, { step: 9, total: 9, percent: 100 });
      expect((await store.get(t.ticket_id))?.status).toBe('Completed');
      expect((await store.get(t.ticket_id))?.progress).toEqual({ step: 1, total: 4, percent: 25 });
    });

    it('cancels queued and running tasks and reports the status before', async () => {
      const a = newTask();
      const b = newTask();
      await store.create(a);
      await store.create(b);
      await store.markStarted(b.ticket_id, 'n', 'T');
      expect(await store.cancel(a.ticket_id, 'T1')).toBe('Queueing');
      expect(await store.cancel(b.ticket_id, 'T2')).toBe('In Progress');
      expect(await store.cancel(b.ticket_id, 'T3')).toBeNull();
      expect(await store.cancel('missing', 'T')).toBeNull();
      expect(await store.get(b.ticket_id)).toMatchObject({ status: 'Cancelled', completed_at: 'T2' });
      expect(await store.listQueued()).toEqual([]);
    });

    it('fails tasks with an error message and its code', async () => {
      const t = newTask();
      const q = newTask();
      await store.create(t);
      await store.create(q);
      await store.markStarted(t.ticket_id, 'n', 'T');
      expect(await store.fail(t.ticket_id, { code: 'task_failed', message: 'no face found in source_image' }, 'T2')).toBe(true);
      expect(await store.get(t.ticket_id)).toMatchObject({ status: 'Failed', error_info: 'no face found in source_image', error_code: 'task_failed', completed_at: 'T2' });
      expect(await store.fail(q.ticket_id, { code: 'model_unavailable', message: 'no model' }, 'T3')).toBe(true); // a queued task too
      expect(await store.get(q.ticket_id)).toMatchObject({ status: 'Failed', error_code: 'model_unavailable' });
      // Final: a second failure changes neither the code nor the message.
      expect(await store.fail(t.ticket_id, { code: 'worker_crashed', message: 'again' }, 'T4')).toBe(false);
      expect(await store.get(t.ticket_id)).toMatchObject({ error_info: 'no face found in source_image', error_code: 'task_failed' });
      expect(await store.countByStatus()).toMatchObject({ Failed: 2, Queueing: 0 });
    });

    it('gives a cancelled task no error code, and a late failure cannot add one', async () => {
      const a = newTask();
      const b = newTask();
      await store.create(a);
      await store.create(b);
      await store.markStarted(b.ticket_id, 'n', 'T');
      await store.cancel(a.ticket_id, 'T1');
      await store.cancel(b.ticket_id, 'T1');
      expect(await store.fail(b.ticket_id, { code: 'worker_crashed', message: 'the run ended badly' }, 'T2', 1)).toBe(false);
      for (const t of [a, b]) {
        expect(await store.get(t.ticket_id)).toMatchObject({ status: 'Cancelled', error_info: null, error_code: null });
      }
    });

    it('refuses a completion or failure from an earlier claim of the task', async () => {
      const t = newTask();
      await store.create(t);
      await store.markStarted(t.ticket_id, 'n', 'T');
      await store.recoverInterrupted(5, 'R'); // its worker was lost: back to the queue
      expect((await store.markStarted(t.ticket_id, 'n', 'T'))?.attempts).toBe(2);
      const result = { file: 'x.png', content_type: 'image/png' };
      expect(await store.complete(t.ticket_id, result, 'T1', 1)).toBe(false);
      expect(await store.fail(t.ticket_id, { code: 'worker_crashed', message: 'old run' }, 'T1', 1)).toBe(false);
      expect((await store.get(t.ticket_id))?.status).toBe('In Progress');
      expect(await store.complete(t.ticket_id, result, 'T2', 2)).toBe(true);
      expect(await store.get(t.ticket_id)).toMatchObject({ status: 'Completed', completed_at: 'T2', attempts: 2, error_code: null });
    });

    it('recovers interrupted tasks: re-queued with bounded attempts, then Failed', async () => {
      const t = newTask();
      const q = newTask();
      await store.create(t);
      await store.create(q);
      for (let attempt = 1; attempt <= 3; attempt++) {
        expect((await store.markStarted(t.ticket_id, 'n', 'T'))?.attempts).toBe(attempt);
        const report = await store.recoverInterrupted(3, 'R');
        if (attempt < 3) {
          expect(report).toEqual({ requeued: [t.ticket_id], failed: [] });
          expect((await store.get(t.ticket_id))?.status).toBe('Queueing');
        } else {
          expect(report).toEqual({ requeued: [], failed: [t.ticket_id] });
        }
      }
      const rec = await store.get(t.ticket_id);
      expect(rec).toMatchObject({ status: 'Failed', attempts: 3, completed_at: 'R', error_code: 'worker_crashed' });
      expect(rec?.error_info).toMatch(/interrupted/i);
      expect((await store.get(q.ticket_id))?.status).toBe('Queueing');
    });

    it('interrupt: a crash re-queues with the attempt counted, then fails at the cap; a shutdown gives the attempt back', async () => {
      const t = newTask();
      const other = newTask({ user_id: t.user_id });
      await store.create(t);
      await store.create(other);
      const crash = (attempt: number) => ({ attempt, countsAsAttempt: true, maxAttempts: 2, at: 'X' });
      expect((await store.markStarted(t.ticket_id, 'n', 'T'))?.attempts).toBe(1);
      expect(await store.interrupt(t.ticket_id, crash(1))).toBe('requeued');
      expect(await store.get(t.ticket_id)).toMatchObject({ status: 'Queueing', attempts: 1, progress: null });
      // A shutdown does not count: the next start is attempt 2 again.
      expect((await store.markStarted(t.ticket_id, 'n', 'T'))?.attempts).toBe(2);
      expect(await store.interrupt(t.ticket_id, { attempt: 2, countsAsAttempt: false, maxAttempts: 2, at: 'X' })).toBe('requeued');
      expect((await store.get(t.ticket_id))?.attempts).toBe(1);
      expect((await store.markStarted(t.ticket_id, 'n', 'T'))?.attempts).toBe(2);
      // An interruption reported for an earlier claim changes nothing.
      expect(await store.interrupt(t.ticket_id, crash(1))).toBeNull();
      expect(await store.interrupt(t.ticket_id, crash(2))).toBe('failed');
      const rec = await store.get(t.ticket_id);
      expect(rec).toMatchObject({ status: 'Failed', attempts: 2, completed_at: 'X', error_code: 'worker_crashed' });
      expect(rec?.error_info).toMatch(/crashed, 2 time/);
      expect(await store.interrupt(t.ticket_id, crash(2))).toBeNull();
      expect((await store.get(other.ticket_id))?.status).toBe('Queueing');
    });

    it('counts tasks by status', async () => {
      const a = newTask();
      await store.create(a);
      await store.create(newTask());
      await store.markStarted(a.ticket_id, 'n', 'T');
      const counts = await store.countByStatus();
      expect(counts).toMatchObject({ Queueing: 1, 'In Progress': 1, Completed: 0, Failed: 0, Cancelled: 0 });
    });

    /** Queued, running, and four finished tasks at known times (retention cases). */
    async function finishedSet() {
      const at = (s: number) => `2026-01-01T00:00:0${s}.000Z`;
      const [q, r, c1, f, x, c2] = Array.from({ length: 6 }, () => newTask());
      for (const t of [q, r, c1, f, x, c2]) await store.create(t);
      for (const t of [r, c1, c2]) await store.markStarted(t.ticket_id, 'n', at(0));
      await store.complete(c1.ticket_id, { file: `${c1.ticket_id}.png`, content_type: 'image/png' }, at(1));
      await store.fail(f.ticket_id, { code: 'invalid_params', message: 'no' }, at(2));
      await store.cancel(x.ticket_id, at(3));
      await store.complete(c2.ticket_id, { file: `${c2.ticket_id}.mp4`, content_type: 'video/mp4' }, at(5));
      return { q, r, c1, f, x, c2, at };
    }

    it('lists finished tasks completed before a time, oldest first, bounded, never queued or running ones', async () => {
      const { c1, f, x, c2, at } = await finishedSet();
      expect(await store.finishedBefore(at(4), 10)).toEqual([
        { ticket_id: c1.ticket_id, status: 'Completed', completed_at: at(1), result_file: `${c1.ticket_id}.png` },
        { ticket_id: f.ticket_id, status: 'Failed', completed_at: at(2), result_file: null },
        { ticket_id: x.ticket_id, status: 'Cancelled', completed_at: at(3), result_file: null },
      ]);
      expect((await store.finishedBefore(at(4), 2)).map((t) => t.ticket_id)).toEqual([c1.ticket_id, f.ticket_id]);
      expect(await store.finishedBefore(at(1), 10)).toEqual([]); // strictly before
      expect((await store.finishedBefore('9999-01-01T00:00:00.000Z', 10)).map((t) => t.ticket_id))
        .toEqual([c1.ticket_id, f.ticket_id, x.ticket_id, c2.ticket_id]);
    });

    it('deletes only finished tasks completed before the time; deleting again is harmless', async () => {
      const { q, r, c1, f, x, c2, at } = await finishedSet();
      const ids = [c1, f, q, r, c2].map((t) => t.ticket_id);
      expect(await store.deleteFinished([...ids, 'missing'], at(4))).toEqual([c1.ticket_id, f.ticket_id]);
      expect(await store.get(c1.ticket_id)).toBeNull();
      expect(await store.get(f.ticket_id)).toBeNull();
      expect((await store.get(q.ticket_id))?.status).toBe('Queueing');
      expect((await store.get(r.ticket_id))?.status).toBe('In Progress');
      expect((await store.get(c2.ticket_id))?.status).toBe('Completed');
      expect(await store.deleteFinished(ids, at(4))).toEqual([]);
      expect((await store.finishedBefore(at(9), 10)).map((t) => t.ticket_id)).toEqual([x.ticket_id, c2.ticket_id]);
      expect(await store.countByStatus()).toMatchObject({ Queueing: 1, 'In Progress': 1, Completed: 1, Failed: 0, Cancelled: 1 });
      expect((await store.listQueued()).map((t) => t.ticket_id)).toEqual([q.ticket_id]);
      store = await reopen();
      expect(await store.get(c1.ticket_id)).toBeNull();
      expect((await store.finishedBefore(at(9), 10)).map((t) => t.ticket_id)).toEqual([x.ticket_id, c2.ticket_id]);
    });

    it('keeps everything across a reopen (durability)', async () => {
      const a = newTask();
      const b = newTask();
      await store.create(a);
      await store.create(b);
      await store.markStarted(b.ticket_id, 'n', 'T');
      await store.complete(b.ticket_id, { file: 'b.png', content_type: 'image/png' }, 'T2');
      const c = newTask();
      await store.create(c);
      await store.fail(c.ticket_id, { code: 'invalid_params', message: 'width too large for this model' }, 'T3');
      store = await reopen();
      expect((await store.get(a.ticket_id))?.status).toBe('Queueing');
      expect((await store.get(b.ticket_id))?.result).toEqual({ file: 'b.png', content_type: 'image/png' });
      expect(await store.get(c.ticket_id)).toMatchObject({ status: 'Failed', error_code: 'invalid_params', error_info: 'width too large for this model' });
    });
  });
}
