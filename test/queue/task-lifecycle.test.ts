/**
 * The shared task lifecycle against a real SQLite store, with a stand-in runner that answers
 * as a pool worker would: progress is throttled into the store, every outcome is recorded with
 * its code (a refused upload too), and an outcome from an earlier claim is discarded.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/infra/logging.js';
import { TaskLifecycle, type LifecycleDeps, type LifecycleHooks, type TaskRunner } from '../../src/queue/task-lifecycle.js';
import { LocalResultStore } from '../../src/results/local-store.js';
import { SqliteTaskStore } from '../../src/store/sqlite-store.js';
import type { Progress, TaskRecord, TaskStatus } from '../../src/tasks/types.js';
import type { WorkerResponse } from '../../src/workers/messages.js';
import { newTask } from '../store/conformance.js';

/** Reports `steps` progress events at once, then answers `response`. */
function runner(response: WorkerResponse, steps = 0): TaskRunner {
  return {
    size: 1,
    idle: 1,
    run(_id, _type, _params, onProgress) {
      for (let s = 1; s <= steps; s++) onProgress(s, steps);
      return { done: Promise.resolve(response), cancel: async () => undefined };
    },
  };
}

let store: SqliteTaskStore;
let progressWrites: Progress[];
let statuses: TaskStatus[];

beforeEach(() => {
  store = new SqliteTaskStore(join(mkdtempSync(join(tmpdir(), 'backserv-life-')), 't.sqlite'));
  progressWrites = [];
  const setProgress = store.setProgress.bind(store);
  store.setProgress = async (id, p) => {
    progressWrites.push(p);
    await setProgress(id, p);
  };
  statuses = [];
});
afterEach(async () => store.close());

/** Creates and claims a task, runs it to the end, and returns the stored record. */
async function runOnce(r: TaskRunner, extra: Partial<LifecycleHooks> & { results?: LifecycleDeps['results'] } = {}): Promise<TaskRecord> {
  const t = newTask();
  await store.create(t);
  const rec = (await store.markStarted(t.ticket_id, 'n', 'T'))!;
  const { results, ...hooks } = extra;
  const settled = new Promise<void>((resolve) => {
    const life = new TaskLifecycle({
      runner: r, store, results, log: silentLogger(), maxAttempts: 2,
      hooks: { ...hooks, status: async (_id, s) => void statuses.push(s), settled: () => resolve() },
    });
    life.launch(rec);
  });
  await settled;
  return (await store.get(t.ticket_id))!;
}

const OK: WorkerResponse = { ok: true, result: { file: 'x.png', content_type: 'image/png' } };

describe('task lifecycle', () => {
  it('passes every progress report on, and writes the store at most every 250 ms and at the last step', async () => {
    const live: number[] = [];
    const rec = await runOnce(runner(OK, 10), { progress: (_id, p) => void live.push(p.step) });
    expect(live).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(progressWrites).toEqual([{ step: 1, total: 10, percent: 10 }, { step: 10, total: 10, percent: 100 }]);
    expect(rec).toMatchObject({ status: 'Completed', progress: { step: 10, percent: 100 }, error_code: null });
    expect(statuses).toEqual(['Completed']);
  });

  it("records a worker's failure with its code", async () => {
    const rec = await runOnce(runner({ ok: false, cancelled: false, code: 'ffmpeg_failed', message: 'ffmpeg exited with 1' }));
    expect(rec).toMatchObject({ status: 'Failed', error_code: 'ffmpeg_failed', error_info: 'ffmpeg exited with 1' });
    expect(statuses).toEqual(['Failed']);
  });

  it('a failure without a code is internal_error; a refused upload is storage_failed', async () => {
    expect(await runOnce(runner({ ok: false, cancelled: false, message: 'odd' }))).toMatchObject({ status: 'Failed', error_code: 'internal_error' });
    const refused = await runOnce(runner(OK), {
      results: { publish: async () => { throw new Error('S3 answered 403 AccessDenied'); }, remove: async () => undefined },
    });
    expect(refused).toMatchObject({ status: 'Failed', error_code: 'storage_failed', error_info: 'S3 answered 403 AccessDenied', result: null });
  });

  it('records a cancel without an error code', async () => {
    const rec = await runOnce(runner({ ok: false, cancelled: true, message: 'Task cancelled' }));
    expect(rec).toMatchObject({ status: 'Cancelled', error_code: null, error_info: null });
    expect(statuses).toEqual([]); // the cancel's caller announces it
  });

  it('re-queues a task whose process died (attempt counted) and fails it once the attempts are used up', async () => {
    const crashed: WorkerResponse = { ok: false, cancelled: false, code: 'worker_crashed', message: 'x', interrupted: 'host_crash' };
    const requeued: string[] = [];
    const first = await runOnce(runner(crashed), { requeued: (rec) => void requeued.push(rec.ticket_id) });
    expect(first).toMatchObject({ status: 'Queueing', attempts: 1, error_code: null });
    expect(requeued).toEqual([first.ticket_id]);
    // Second start of the same task (maxAttempts 2): the crash ends it.
    const rec = (await store.markStarted(first.ticket_id, 'n', 'T'))!;
    await new Promise<void>((resolve) => {
      new TaskLifecycle({ runner: runner(crashed), store, log: silentLogger(), maxAttempts: 2, hooks: { settled: () => resolve() } }).launch(rec);
    });
    expect(await store.get(first.ticket_id)).toMatchObject({ status: 'Failed', attempts: 2, error_code: 'worker_crashed' });
  });

  it('re-queues a task stopped by a shutdown without counting the attempt', async () => {
    const stopped: WorkerResponse = { ok: false, cancelled: false, code: 'worker_crashed', message: 'x', interrupted: 'shutdown' };
    expect(await runOnce(runner(stopped))).toMatchObject({ status: 'Queueing', attempts: 0, error_code: null });
  });

  it('discards the outcome of an earlier claim of the task', async () => {
    const t = newTask();
    await store.create(t);
    const first = (await store.markStarted(t.ticket_id, 'n', 'T'))!;
    await store.recoverInterrupted(5, 'R');
    await store.markStarted(t.ticket_id, 'n', 'T'); // claim 2 now owns it
    for (const res of [OK, { ok: false, cancelled: false, code: 'model_error', message: 'nan' } as WorkerResponse]) {
      await new Promise<void>((resolve) => {
        new TaskLifecycle({ runner: runner(res), store, log: silentLogger(), maxAttempts: 2, hooks: { settled: () => resolve() } }).launch(first);
      });
    }
    expect(await store.get(t.ticket_id)).toMatchObject({ status: 'In Progress', attempts: 2, error_code: null, result: null });
  });

  describe('cancel is final', () => {
    /** A real results folder with the file a pipeline would have written for `id`. */
    function resultsWith(id: string): { dir: string; file: string; published: string[]; results: LifecycleDeps['results'] } {
      const dir = mkdtempSync(join(tmpdir(), 'backserv-life-results-'));
      const file = `${id}.png`;
      writeFileSync(join(dir, file), 'png bytes');
      const local = new LocalResultStore(dir);
      const published: string[] = [];
      return { dir, file, published, results: { publish: async (f) => void published.push(f), remove: (f) => local.remove(f) } };
    }

    /** A runner whose task finishes (with its file written) only when `finish` is called. */
    function heldRunner(file: string): { runner: TaskRunner; finish(): void; cancels: number } {
      let finish!: () => void;
      const done = new Promise<WorkerResponse>((resolve) => {
        finish = () => resolve({ ok: true, result: { file, content_type: 'image/png' } });
      });
      const out = {
        cancels: 0,
        finish,
        runner: {
          size: 1, idle: 1,
          run: () => ({ done, cancel: async () => { out.cancels++; finish(); await done; } }),
        } as TaskRunner,
      };
      return out;
    }

    it('a result whose cancel reached this node first is removed, never published, and the task ends Cancelled', async () => {
      const t = newTask();
      await store.create(t);
      const rec = (await store.markStarted(t.ticket_id, 'n', 'T'))!;
      const r = resultsWith(t.ticket_id);
      const held = heldRunner(r.file);
      const life = new TaskLifecycle({ runner: held.runner, store, results: r.results, log: silentLogger(), maxAttempts: 2 });
      life.launch(rec);
      // The pipeline finished anyway (the runner answers ok); stop() returns once it is settled.
      expect(await life.stop(t.ticket_id)).toBe(true);
      expect(held.cancels).toBe(1);
      expect(existsSync(join(r.dir, r.file))).toBe(false);
      expect(r.published).toEqual([]);
      expect(await store.get(t.ticket_id)).toMatchObject({ status: 'Cancelled', result: null });
    });

    it('a result completed after a cancel recorded elsewhere is removed after the refused completion', async () => {
      const t = newTask();
      await store.create(t);
      const rec = (await store.markStarted(t.ticket_id, 'n', 'T'))!;
      const r = resultsWith(t.ticket_id);
      const held = heldRunner(r.file);
      await new Promise<void>((resolve) => {
        new TaskLifecycle({ runner: held.runner, store, results: r.results, log: silentLogger(), maxAttempts: 2, hooks: { settled: () => resolve() } }).launch(rec);
        // Another node (or the API) cancels in the store; this node's run finishes regardless.
        void store.cancel(t.ticket_id, 'C').then(() => held.finish());
      });
      expect(r.published).toEqual([r.file]);
      expect(existsSync(join(r.dir, r.file))).toBe(false);
      expect(await store.get(t.ticket_id)).toMatchObject({ status: 'Cancelled', result: null });
    });

    it('a result of an earlier claim is not removed: the current claim writes the same name', async () => {
      const t = newTask();
      await store.create(t);
      const first = (await store.markStarted(t.ticket_id, 'n', 'T'))!;
      await store.recoverInterrupted(5, 'R');
      await store.markStarted(t.ticket_id, 'n', 'T');
      const r = resultsWith(t.ticket_id);
      await new Promise<void>((resolve) => {
        new TaskLifecycle({ runner: runner({ ok: true, result: { file: r.file, content_type: 'image/png' } }), store, results: r.results, log: silentLogger(), maxAttempts: 2, hooks: { settled: () => resolve() } }).launch(first);
      });
      expect(existsSync(join(r.dir, r.file))).toBe(true);
      expect((await store.get(t.ticket_id))?.status).toBe('In Progress');
    });
  });
});

describe('task lifecycle: a run started while its insert commits (claim at insert)', () => {
  it('stores progress reported before the commit once the row is durable, then the outcome', async () => {
    const claim = store.createClaimed(newTask(), 'n');
    const settled = new Promise<void>((resolve) => {
      new TaskLifecycle({ runner: runner(OK, 3), store, log: silentLogger(), maxAttempts: 2, hooks: { settled: () => resolve() } })
        .launch(claim.record, claim.commit);
    });
    // The runner reported every step during launch(), before the insert's commit (next turn): the run is posted before the write starts.
    expect(progressWrites).toEqual([]);
    await settled;
    expect(progressWrites).toEqual([{ step: 1, total: 3, percent: 33.3 }, { step: 3, total: 3, percent: 100 }]);
    expect(await store.get(claim.record.ticket_id)).toMatchObject({ status: 'Completed', attempts: 1, progress: { step: 3 } });
  });

  it('stops the run of a refused insert, records nothing and removes its result file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backserv-life-refused-'));
    writeFileSync(join(dir, 'refused.png'), 'x');
    const local = new LocalResultStore(dir);
    let cancels = 0;
    let finish!: (res: WorkerResponse) => void;
    const held: TaskRunner = {
      size: 1, idle: 1,
      run(_id, _type, _params, onProgress) {
        onProgress(1, 2);
        return { done: new Promise((resolve) => { finish = resolve; }), cancel: async () => void cancels++ };
      },
    };
    const t = newTask();
    const settled = new Promise<void>((resolve) => {
      new TaskLifecycle({
        runner: held, store, results: { publish: async () => undefined, remove: (f) => local.remove(f) }, log: silentLogger(), maxAttempts: 2,
        hooks: { status: async (_id, st) => void statuses.push(st), settled: () => resolve() },
      }).launch({ ...store.createClaimed(t, 'n').record }, () => Promise.reject(new Error('disk full')));
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(cancels).toBe(1);
    finish({ ok: true, result: { file: 'refused.png', content_type: 'image/png' } }); // finished before the stop took
    await settled;
    expect(existsSync(join(dir, 'refused.png'))).toBe(false);
    expect(progressWrites).toEqual([]);
    expect(statuses).toEqual([]);
  });
});
