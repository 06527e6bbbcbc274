/**
 * Worker recycling: with BACKSERV_WORKER_MAX_TASKS or BACKSERV_WORKER_MAX_RSS_MB set, a worker
 * process is drained and replaced by a fresh one, and no task fails or runs twice because of it
 * (each ends Completed after exactly one attempt, with its result file). /metrics shows each
 * worker's RSS and arena estimate under its current pid, and counts the recycles by reason.
 */
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, startFileServer, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';

let files: Awaited<ReturnType<typeof startFileServer>>;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'backserv-recycle-files-'));
  cpSync(join(FIXTURES, 'images', 'lowres_bryan.png'), join(dir, 'in.png'));
  files = await startFileServer(dir);
});
afterAll(async () => {
  await files?.close();
});

interface Sample { labels: Record<string, string>; value: number }

async function scrape(svc: TestService, name: string): Promise<Sample[]> {
  const text = await (await fetch(`${svc.url}/metrics`)).text();
  const out: Sample[] = [];
  for (const m of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
    const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    out.push({ labels, value: Number(m[2]) });
  }
  return out;
}

/** The pid of each worker slot once all are up (a slot that is restarting has no series). */
async function workerPids(svc: TestService, workers: number): Promise<string[]> {
  for (;;) {
    const rss = await scrape(svc, 'backserv_worker_rss_bytes');
    if (rss.length === workers) return rss.sort((a, b) => Number(a.labels.worker) - Number(b.labels.worker)).map((s) => s.labels.pid);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function recycles(svc: TestService): Promise<Record<string, number>> {
  return Object.fromEntries((await scrape(svc, 'backserv_worker_recycles_total')).map((s) => [s.labels.reason, s.value]));
}

/** Recycles once `total` have happened (a replacement is counted when the old process has exited). */
async function recyclesOnce(svc: TestService, total: number): Promise<Record<string, number>> {
  for (;;) {
    const r = await recycles(svc);
    if (Object.values(r).reduce((a, b) => a + b, 0) >= total) return r;
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** Submits `n` upscales at once and checks each completed exactly once, with its file. */
async function runAll(svc: TestService, n: number): Promise<void> {
  const tickets = await Promise.all(Array.from({ length: n }, async () => {
    const r = await submit(svc.url, 'image_upscale', { image_url: `${files.url}/in.png` });
    expect(r.status).toBe(202);
    return r.body.ticket_id as string;
  }));
  for (const t of tickets) {
    const done = await waitFor(svc.url, t, undefined, 90_000);
    expect(done.status, JSON.stringify(done)).toBe('Completed');
    const rec = await svc.store.get(t);
    expect(rec?.attempts).toBe(1);
    expect(existsSync(join(svc.dataDir, 'results', `${t}.png`))).toBe(true);
  }
  const finals = await scrape(svc, 'backserv_tasks_total');
  expect(finals.filter((s) => s.labels.status !== 'Completed').every((s) => s.value === 0)).toBe(true);
  expect(finals.find((s) => s.labels.task_type === 'image_upscale' && s.labels.status === 'Completed')?.value).toBe(n);
}

describe('worker recycling', () => {
  it('BACKSERV_WORKER_MAX_TASKS=3: 10 tasks all complete exactly once, and the worker was replaced 3 times', async () => {
    const svc = await startTestService({ BACKSERV_WORKER_MAX_TASKS: '3' });
    try {
      const [before] = await workerPids(svc, 1);
      const rss = await scrape(svc, 'backserv_worker_rss_bytes');
      expect(rss[0].value).toBeGreaterThan(10 * 1024 * 1024);
      const arena = await scrape(svc, 'backserv_worker_arena_bytes');
      expect(arena[0].labels).toEqual({ worker: '0', pid: before });
      expect(arena[0].value).toBeGreaterThanOrEqual(0);

      await runAll(svc, 10);
      // Replaced after tasks 3, 6 and 9: the 10th ran on the fourth process.
      expect(await recycles(svc)).toEqual({ max_tasks: 3, max_rss: 0 });
      const [after] = await workerPids(svc, 1);
      expect(after).not.toBe(before);
      expect((await scrape(svc, 'backserv_worker_tasks'))[0]).toEqual({ labels: { worker: '0', pid: after }, value: 1 });
    } finally {
      await svc.close();
    }
  }, 180_000);

  it('BACKSERV_WORKER_MAX_RSS_MB below any process: each worker is replaced after the task that crossed it; two workers, no task lost', async () => {
    const svc = await startTestService({ BACKSERV_WORKER_MAX_RSS_MB: '1', BACKSERV_WORKERS: '2' });
    try {
      const before = await workerPids(svc, 2);
      await runAll(svc, 4);
      expect(await recyclesOnce(svc, 4)).toEqual({ max_tasks: 0, max_rss: 4 });
      const after = await workerPids(svc, 2);
      for (const pid of after) expect(before).not.toContain(pid);
      // A fresh process has run nothing yet.
      expect((await scrape(svc, 'backserv_worker_tasks')).map((s) => s.value)).toEqual([0, 0]);
    } finally {
      await svc.close();
    }
  }, 180_000);
});
