/** Fairness, backpressure, cancel of running work, and worker crashes, through the real service. */
import { join } from 'node:path';
import { cpSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, getJson, postJson, startFileServer, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';

let files: Awaited<ReturnType<typeof startFileServer>>;
const crashWorker = fileURLToPath(new URL('../fixtures/crash-worker.ts', import.meta.url));

beforeAll(async () => {
  // shared/fixtures is read-only in CI: serve a temp copy plus a big generated input.
  const dir = mkdtempSync(join(tmpdir(), 'backserv-images-'));
  cpSync(join(FIXTURES, 'images'), dir, { recursive: true });
  await sharp({ create: { width: 768, height: 768, channels: 3, background: { r: 90, g: 140, b: 200 } } })
    .png().toFile(join(dir, 'big.png'));
  files = await startFileServer(dir);
});
afterAll(async () => {
  await files?.close();
});

describe('fair scheduling and backpressure', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ BACKSERV_MAX_QUEUED_PER_USER: '30', BACKSERV_MAX_QUEUED: '40' });
  });
  afterAll(async () => svc?.close());

  it('a user with many queued tasks delays another user\'s first task by at most one per worker', async () => {
    svc.scheduler.pause();
    const small = `${files.url}/lowres_bryan.png`;
    const bulk: string[] = [];
    for (let i = 0; i < 20; i++) bulk.push((await submit(svc.url, 'image_upscale', { image_url: small, scale_factor: 2 }, 'bulk')).body.ticket_id as string);
    const first = (await submit(svc.url, 'image_upscale', { image_url: small, scale_factor: 2 }, 'newcomer')).body.ticket_id as string;
    const q = await getJson(`${svc.url}/query_task/${first}`);
    expect(q.body.status).toBe('Queueing');
    expect(q.body.queue_position).toBeLessThanOrEqual(1);
    const lastBulk = await getJson(`${svc.url}/query_task/${bulk[19]}`);
    expect(lastBulk.body.queue_position).toBe(20);
    svc.scheduler.resume();
    const done = await waitFor(svc.url, first);
    expect(done.status).toBe('Completed');
    // When the newcomer finished, at most two bulk tasks had started (one per worker + the one ahead).
    const startedBulk = await Promise.all(bulk.map(async (t) => (await getJson(`${svc.url}/query_task/${t}`)).body.started_at as string | null));
    const before = startedBulk.filter((s) => s !== null && Date.parse(s) <= Date.parse(done.started_at as string));
    expect(before.length).toBeLessThanOrEqual(1);
    for (const t of bulk) await waitFor(svc.url, t);
  });

  it('answers 429 queue_full with Retry-After at the per-user and the global cap, creating nothing', async () => {
    svc.scheduler.pause();
    try {
      const small = `${files.url}/lowres_bryan.png`;
      const mine: string[] = [];
      for (let i = 0; i < 30; i++) {
        const r = await submit(svc.url, 'image_upscale', { image_url: small }, 'greedy');
        expect(r.status).toBe(202);
        mine.push(r.body.ticket_id as string);
      }
      const over = await submit(svc.url, 'image_upscale', { image_url: small }, 'greedy');
      expect(over.status).toBe(429);
      expect(over.body.error).toBe('queue_full');
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      for (let i = 0; i < 10; i++) expect((await submit(svc.url, 'image_upscale', { image_url: small }, `other${i}`)).status).toBe(202);
      const global = await submit(svc.url, 'image_upscale', { image_url: small }, 'someone-else');
      expect(global.status).toBe(429);
      expect(global.body.message).toMatch(/queue is full/);
      const counts = (await getJson(`${svc.url}/ready`)).body.queue as { queued: number };
      expect(counts.queued).toBe(40);
      for (const t of mine) expect((await postJson(`${svc.url}/cancel_task/${t}`, {})).status).toBe(200);
      expect((await submit(svc.url, 'image_upscale', { image_url: small }, 'greedy')).status).toBe(202);
    } finally {
      svc.scheduler.resume();
      await svc.scheduler.whenIdle();
    }
  });
});

describe('cancel of a running task and worker failures', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ BACKSERV_UPSCALE_TILE: '32', BACKSERV_UPSCALE_PAD: '4', BACKSERV_CANCEL_GRACE_MS: '3000' }, { workerFile: crashWorker });
  });
  afterAll(async () => svc?.close());

  it('stops a running upscale between tiles, writes no result, and frees the worker', async () => {
    const { body } = await submit(svc.url, 'image_upscale', { image_url: `${files.url}/big.png` });
    const ticket = body.ticket_id as string;
    const running = await waitFor(svc.url, ticket, (b) => b.status === 'In Progress' && (b.progress as { step: number } | null)?.step! >= 2);
    const total = (running.progress as { total: number }).total;
    expect(total).toBe(24 * 24);
    const res = await postJson(`${svc.url}/cancel_task/${ticket}`, {});
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('Cancelled');
    const after = await getJson(`${svc.url}/query_task/${ticket}`);
    expect(after.body.status).toBe('Cancelled');
    expect(after.body.result_info).toBeNull();
    expect((after.body.progress as { step: number } | null)?.step ?? 0).toBeLessThan(total);
    expect(readdirSync(join(svc.dataDir, 'results')).filter((f) => f.startsWith(ticket))).toEqual([]);
    // The worker is free: a new task completes.
    const next = await submit(svc.url, 'image_upscale', { image_url: `${files.url}/lowres_bryan.png` });
    expect((await waitFor(svc.url, next.body.ticket_id as string)).status).toBe('Completed');
  });

  it('a worker thread that dies fails only its task, and the pool keeps serving', async () => {
    const dead = await submit(svc.url, 'image_upscale', { image_url: `${files.url}/die-now.png` });
    const ok = await submit(svc.url, 'image_upscale', { image_url: `${files.url}/lowres_bryan.png` });
    const d = await waitFor(svc.url, dead.body.ticket_id as string);
    expect(d.status).toBe('Failed');
    expect(d.error_info).toMatch(/crashed/);
    expect((await waitFor(svc.url, ok.body.ticket_id as string)).status).toBe('Completed');
  });

  it('a worker that throws fails only its task, with the catalogue\'s words in error_info, not its own', async () => {
    const bad = await submit(svc.url, 'image_upscale', { image_url: `${files.url}/throw-now.png` });
    const d = await waitFor(svc.url, bad.body.ticket_id as string);
    expect(d.status).toBe('Failed');
    // A raw internal message (here "synthetic worker exception") goes to the log, never to the client.
    expect(d.error_info).toBe('The worker running this task crashed.');
    expect(d.error_info).not.toMatch(/synthetic/);
    const ok = await submit(svc.url, 'image_upscale', { image_url: `${files.url}/lowres_bryan.png` });
    expect((await waitFor(svc.url, ok.body.ticket_id as string)).status).toBe('Completed');
  });
});

describe('SSRF: image URLs to private addresses are refused', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ BACKSERV_URL_ALLOWLIST: '' });
  });
  afterAll(async () => svc?.close());

  it('refuses loopback by address (v4, v6) and by name when nothing is allow-listed', async () => {
    for (const url of [`${files.url}/lowres_bryan.png`, `http://[::1]:${new URL(files.url).port}/lowres_bryan.png`, `http://localhost:${new URL(files.url).port}/x.png`]) {
      const { body } = await submit(svc.url, 'image_upscale', { image_url: url });
      const done = await waitFor(svc.url, body.ticket_id as string);
      expect(done.status).toBe('Failed');
      expect(done.error_info).toMatch(/image_url/);
      expect(done.error_info).toMatch(/loopback|not allowed|private/i);
    }
  });
});

describe('SSRF: redirects are re-checked', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ BACKSERV_URL_ALLOWLIST: '127.0.0.1' });
  });
  afterAll(async () => svc?.close());

  it('refuses a redirect from an allow-listed host to the metadata address or a private one, before connecting', async () => {
    for (const target of ['http://169.254.169.254/latest/meta-data/', 'http://10.0.0.1/x.png']) {
      const url = `${files.url}/redirect-to/${encodeURIComponent(target)}`;
      const { body } = await submit(svc.url, 'image_upscale', { image_url: url });
      const done = await waitFor(svc.url, body.ticket_id as string);
      expect(done.status).toBe('Failed');
      expect(done.error_info).toMatch(/link-local|private|not allowed/i);
    }
  });
});
