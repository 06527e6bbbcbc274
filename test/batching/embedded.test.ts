/**
 * Cross-request batching in embedded mode: the SQLite store, the in-memory fair queue's batch
 * fill, the worker host child process running a batch in one slot (see suite.ts); and kill -9 of
 * the worker host mid-batch: every member goes back to the queue on its own counted attempt and
 * completes on the next.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { batchingSuite } from './suite.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ BACKSERV_MAX_BATCH: '4' });
});
afterAll(async () => {
  await svc?.close();
});

/** The worker host: the child process of this test process that runs host-main. */
function hostPid(): number {
  const pids = execFileSync('pgrep', ['-P', String(process.pid)]).toString().trim().split('\n').map(Number);
  const host = pids.find((pid) => execFileSync('ps', ['-o', 'args=', '-p', String(pid)]).toString().includes('host-main'));
  if (!host) throw new Error('no worker host process found');
  return host;
}

describe('cross-request batching (embedded, SQLite)', () => {
  batchingSuite({ url: () => svc.url });

  it('kill -9 of the worker host mid-batch re-queues every member on its own attempt; all complete', async () => {
    const base = svc.url;
    const blocker = (await submit(base, 'image_creation', { prompt: 'blocker', width: 1024, height: 1024, steps: 100, seed: 1 }, 'blocker')).body.ticket_id as string;
    await waitFor(base, blocker, (b) => b.status === 'In Progress');
    const ids: string[] = [];
    for (const [i, user] of ['ann', 'ben', 'cat'].entries()) {
      ids.push((await submit(base, 'image_creation', { prompt: `member ${i}`, seed: i, steps: 100, width: 256, height: 256 }, user)).body.ticket_id as string);
    }
    await postJson(`${base}/cancel_task/${blocker}`, {});
    await waitFor(base, ids[0], (b) => b.status === 'In Progress' && ((b.progress as { step?: number } | null)?.step ?? 0) >= 2, 120_000);
    for (const id of ids) expect((await svc.store.get(id))?.status).toBe('In Progress');
    process.kill(hostPid(), 'SIGKILL');
    const done = await Promise.all(ids.map((id) => waitFor(base, id, undefined, 180_000)));
    for (const [i, t] of done.entries()) {
      expect(t.status, `member ${i}`).toBe('Completed');
      expect((t.result as { batched: { members: number } }).batched.members).toBe(3);
      // Claimed twice: the crash counted as the first attempt of each member.
      expect((await svc.store.get(ids[i]))?.attempts).toBe(2);
    }
  });
});
