/**
 * The pool's one channel (run-channel.ts) carries every run's progress out and cancel in, each
 * message naming its run: progress reaches only its own run's listener, a cancel asked before the
 * worker has even picked the run up still stops it (the flag in the run's shared gate), and two
 * pools in one process never hear each other. Cancels here are cooperative: the grace period is
 * far longer than the test, so no thread is terminated.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { inertWorkerEnv } from '../support/inert-worker-env.js';
import { WorkerPool } from '../../src/workers/pool.js';

const env = inertWorkerEnv;
const workerFile = join(import.meta.dirname, '..', 'fixtures', 'channel-worker.ts');
const CANCELLED = { ok: false, cancelled: true, message: 'Task cancelled' };
const done = (ticket: string) => ({ ok: true, result: { file: `${ticket}.none`, content_type: 'application/octet-stream' } });

describe('WorkerPool channel', () => {
  const pool = new WorkerPool({ size: 2, cancelGraceMs: 60_000, env, workerFile });
  const other = new WorkerPool({ size: 1, cancelGraceMs: 60_000, env, workerFile });
  afterAll(async () => {
    await pool.close();
    await other.close();
  });

  it('delivers each run its own progress, and a cancel stops only the run it names', async () => {
    const seen: Record<string, [number, number][]> = { a: [], b: [] };
    const a = pool.run('a', 'image_upscale', { steps: 3, hold: true }, (step, total) => seen.a.push([step, total]));
    const b = pool.run('b', 'image_upscale', { steps: 5, hold: true }, (step, total) => seen.b.push([step, total]));
    await vi.waitFor(() => expect(seen.a.length + seen.b.length).toBe(8), { timeout: 20_000 });
    expect(seen.a).toEqual([[1, 3], [2, 3], [3, 3]]);
    expect(seen.b).toEqual([[1, 5], [2, 5], [3, 5], [4, 5], [5, 5]]);
    await a.cancel();
    expect(await a.done).toEqual(CANCELLED);
    expect(pool.busy).toBe(1); // b still holds its slot
    await b.cancel();
    expect(await b.done).toEqual(CANCELLED);
    expect(pool.idle).toBe(2);
  });

  it('a cancel asked before the worker has picked the run up still stops it', async () => {
    // Both slots held, so the third run waits in Piscina's queue when its cancel is asked.
    const held = [pool.run('h1', 'image_upscale', { hold: true }, () => undefined), pool.run('h2', 'image_upscale', { hold: true }, () => undefined)];
    const waiting = pool.run('w', 'image_upscale', { hold: true }, () => undefined);
    const cancelled = waiting.cancel();
    await held[0].cancel();
    await cancelled;
    expect(await waiting.done).toEqual(CANCELLED);
    // And one cancelled in the same turn it was issued, before any thread could have seen it.
    const instant = pool.run('i', 'image_upscale', { hold: true }, () => undefined);
    await instant.cancel();
    expect(await instant.done).toEqual(CANCELLED);
    await held[1].cancel();
    expect(await held[0].done).toEqual(CANCELLED);
    expect(await held[1].done).toEqual(CANCELLED);
    expect(await pool.run('after', 'image_upscale', {}, () => undefined).done).toEqual(done('after'));
  });

  it('two pools in one process do not hear each other', async () => {
    const heard: string[] = [];
    const mine = pool.run('mine', 'image_upscale', { steps: 2, hold: true }, () => heard.push('mine'));
    const theirs = other.run('theirs', 'image_upscale', { steps: 2, hold: true }, () => heard.push('theirs'));
    await vi.waitFor(() => expect(heard.length).toBe(4), { timeout: 20_000 });
    expect(heard.filter((h) => h === 'mine')).toHaveLength(2);
    await mine.cancel();
    expect(await mine.done).toEqual(CANCELLED);
    expect(other.busy).toBe(1); // the other pool's run (same run id 1…n numbering) was not cancelled
    await theirs.cancel();
    expect(await theirs.done).toEqual(CANCELLED);
  });
});
