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
import { silentLogger } from '../../src/infra/logging.js';
import type { WorkerEnv } from '../../src/pipelines/worker-env.js';
import { Scheduler } from '../../src/queue/scheduler.js';
import { SqliteTaskStore } from '../../src/store/sqlite-store.js';
import { WorkerPool } from '../../src/workers/pool.js';

const env = {
  modelsDir: '', resultsDir: '', inputs: { kind: 'local', dir: '' }, device: 'cpu', intraOpThreads: 1,
  fetch: { maxBytes: 1, timeoutMs: 1, maxRedirects: 0, allowlist: undefined, maxPixels: 1 },
  upscale: { tile: 1, pad: 0, memoryBytes: 1, maxOutputPixels: 1 },
} as WorkerEnv;

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
