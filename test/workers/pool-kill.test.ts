/**
 * WorkerPool's cancel of a run that ignores it: after the grace period the pool terminates the
 * thread, the run reports "cancelled (worker terminated)", and the slot serves the next run.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inertWorkerEnv } from '../support/inert-worker-env.js';
import { WorkerPool } from '../../src/workers/pool.js';

const env = inertWorkerEnv;

describe('WorkerPool cancel of an uncooperative run', () => {
  const pool = new WorkerPool({ size: 1, cancelGraceMs: 100, env, workerFile: join(import.meta.dirname, '..', 'fixtures', 'stubborn-worker.ts') });
  afterAll(() => pool.close());

  it('terminates the thread after the grace period and frees the slot', async () => {
    const held = pool.run('held', 'image_upscale', { hold: true }, () => undefined);
    expect(pool.busy).toBe(1);
    await held.cancel();
    expect(await held.done).toEqual({ ok: false, cancelled: true, message: 'Task cancelled (worker terminated)' });
    expect(pool.idle).toBe(1);
    const next = await pool.run('next', 'image_upscale', {}, () => undefined).done;
    expect(next).toEqual({ ok: true, result: { file: 'next.none', content_type: 'application/octet-stream' } });
  });
});
