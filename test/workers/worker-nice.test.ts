/**
 * Worker processes run at a lower CPU priority than the API process (BACKSERV_WORKER_NICE, default
 * 10 below it), so inference on every core does not slow HTTP answers. On Linux the nice value is
 * per thread: every thread of the worker process must carry it, including the ones ONNX Runtime
 * and libvips start for a task, not only the main thread.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';

let svc: TestService | null = null;
afterEach(async () => {
  await svc?.close();
  svc = null;
});

async function workerPid(s: TestService): Promise<number> {
  for (;;) {
    const text = await (await fetch(`${s.url}/metrics`)).text();
    const m = /^backserv_worker_rss_bytes\{[^}]*pid="(\d+)"[^}]*\}/m.exec(text);
    if (m) return Number(m[1]);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The nice value of each thread of `pid` (field 19 of /proc/<pid>/task/<tid>/stat, counted after the command name). */
function threadNices(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

async function upscaleOnce(s: TestService): Promise<void> {
  const image = `data:image/png;base64,${readFileSync(join(FIXTURES, 'images', 'lowres_bryan.png')).toString('base64')}`;
  const res = await submit(s.url, 'image_upscale', { image_url: image });
  expect(res.status).toBe(202);
  expect((await waitFor(s.url, res.body.ticket_id as string)).status).toBe('Completed');
}

describe.runIf(process.platform === 'linux')('worker process priority', () => {
  it('every thread of a worker process, including those a task started, runs 10 below the API by default', async () => {
    const apiNice = getPriority();
    // Two ONNX Runtime threads, so the session starts a thread pool of its own during the task.
    svc = await startTestService({ BACKSERV_INTRA_OP_THREADS: '2' });
    const pid = await workerPid(svc);
    const before = threadNices(pid).length;
    await upscaleOnce(svc);
    const nices = threadNices(pid);
    expect(nices.length).toBeGreaterThan(before);
    expect(new Set(nices)).toEqual(new Set([Math.min(19, getPriority() + 10)]));
    // The API process's own threads keep theirs.
    expect(new Set(threadNices(process.pid))).toEqual(new Set([apiNice]));
  });

  it('BACKSERV_WORKER_NICE sets the distance, and 0 leaves workers at the API\'s priority', async () => {
    svc = await startTestService({ BACKSERV_WORKER_NICE: '3' });
    const pid3 = await workerPid(svc);
    await upscaleOnce(svc);
    expect(new Set(threadNices(pid3))).toEqual(new Set([Math.min(19, getPriority() + 3)]));
    await svc.close();
    svc = await startTestService({ BACKSERV_WORKER_NICE: '0' });
    const pid0 = await workerPid(svc);
    await upscaleOnce(svc);
    expect(new Set(threadNices(pid0))).toEqual(new Set([getPriority()]));
  });

  it('refuses a value outside 0–19 at start-up, naming the variable', async () => {
    await expect(startTestService({ BACKSERV_WORKER_NICE: '20' })).rejects.toThrow(/BACKSERV_WORKER_NICE/);
  });
});
