/**
 * Scheduler.whenIdle waits for what was submitted: a task that has left the queue but whose claim
 * is still being written is neither queued nor running, and must not count as idle (it once did,
 * so whenIdle resolved before the task had even started).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inertWorkerEnv } from '../support/inert-worker-env.js';
import { silentLogger } from '../../src/infra/logging.js';
import { Scheduler } from '../../src/queue/scheduler.js';
import { SqliteTaskStore } from '../../src/store/sqlite-store.js';
import { WorkerPool } from '../../src/workers/pool.js';

const env = inertWorkerEnv;

describe('Scheduler.whenIdle', () => {
  const store = new SqliteTaskStore(join(mkdtempSync(join(tmpdir(), 'backserv-idle-')), 'q.sqlite'));
  const pool = new WorkerPool({ size: 1, cancelGraceMs: 1000, env, workerFile: join(import.meta.dirname, '..', 'fixtures', 'channel-worker.ts') });
  const scheduler = new Scheduler(store, pool, 'test', { maxQueued: 100, maxQueuedPerUser: 100, maxAttempts: 3 }, silentLogger());
  afterAll(async () => {
    scheduler.stop();
    await pool.close();
    await store.close();
  });

  it('resolves only once each submitted task is Completed in the store', async () => {
    await scheduler.start();
    for (let i = 0; i < 20; i++) {
      const rec = await scheduler.submit({
        ticket_id: randomUUID(), task_type: 'image_upscale', user_id: 'u', params: {}, serv_name: 'test', created_at: new Date().toISOString(),
      });
      await scheduler.whenIdle();
      expect((await store.get(rec.ticket_id))?.status).toBe('Completed');
    }
  });
});
