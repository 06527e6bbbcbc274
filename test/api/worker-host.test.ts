/**
 * Native work runs in a supervised child process (the worker host). A task that aborts that
 * process (SIGABRT, as a segfault or abort in onnxruntime or libvips would) takes down the host
 * only: HTTP keeps answering throughout, the task is re-queued (the attempt counts) until its
 * attempts are used up and then ends with worker_crashed, the host is restarted and the next task runs.
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, startFileServer, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';

const crashWorker = fileURLToPath(new URL('../fixtures/crash-worker.ts', import.meta.url));
let files: Awaited<ReturnType<typeof startFileServer>>;
let svc: TestService;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'backserv-host-files-'));
  cpSync(join(FIXTURES, 'images', 'lowres_bryan.png'), join(dir, 'lowres_bryan.png'));
  cpSync(join(FIXTURES, 'images', 'lowres_bryan.png'), join(dir, 'abort-now.png'));
  files = await startFileServer(dir);
  svc = await startTestService({ BACKSERV_MAX_ATTEMPTS: '2' }, { workerFile: crashWorker });
});
afterAll(async () => {
  await svc?.close();
  await files?.close();
});

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${svc.url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

describe('worker host isolation', () => {
  it('a process abort in a pipeline fails only its task; HTTP never stops; the next task runs', async () => {
    const before = await metric('backserv_worker_host_crashes_total');
    const health: number[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const res = await fetch(`${svc.url}/health`).catch(() => null);
        health.push(res?.status ?? 0);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    const bad = await submit(svc.url, 'image_upscale', { image_url: `${files.url}/abort-now.png` });
    expect(bad.status).toBe(202);
    const done = await waitFor(svc.url, bad.body.ticket_id as string);
    expect(done.status).toBe('Failed');
    // Each crash re-queued it with the attempt counted; the second (BACKSERV_MAX_ATTEMPTS=2) ended it.
    expect(done.error_code).toBe('worker_crashed');
    expect(String(done.error_info)).toMatch(/crashed, 2 time/);
    expect(String(done.error_info)).not.toMatch(/SIGABRT|\/|pid/i);

    const ok = await submit(svc.url, 'image_upscale', { image_url: `${files.url}/lowres_bryan.png` });
    expect((await waitFor(svc.url, ok.body.ticket_id as string)).status).toBe('Completed');
    polling = false;
    await poller;

    expect(health.length).toBeGreaterThan(5);
    expect(health.every((s) => s === 200)).toBe(true);
    expect(await metric('backserv_worker_host_crashes_total')).toBe(before + 2);
    const ready = (await (await fetch(`${svc.url}/ready`)).json()) as { workers: { isolated: boolean; host_crashes: number } };
    expect(ready.workers.isolated).toBe(true);
    expect(ready.workers.host_crashes).toBeGreaterThanOrEqual(1);
  });
});
