/**
 * Webhooks end to end: a real receiver on 127.0.0.1 checks the HMAC signature, answers 500 once
 * and gets the retry; SSRF rules refuse private targets that are not allow-listed; a delivery
 * pending at shutdown is made after the restart.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifySignature } from '../../src/webhooks/signature.js';
import { WebhookStore } from '../../src/webhooks/webhook-store.js';
import { FIXTURES, postJson, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';

const SECRET = 'whsec-test-0123456789';
const image = `data:image/png;base64,${readFileSync(join(FIXTURES, 'images', 'lowres_bryan.png')).toString('base64')}`;

interface Received {
  body: string;
  headers: Record<string, string | string[] | undefined>;
  at: number;
}

async function startReceiver(answers: number[], port = 0, delayMs = 0): Promise<{ url: string; port: number; got: Received[]; close(): Promise<void> }> {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers, at: Date.now() });
      const status = answers.shift() ?? 200;
      setTimeout(() => { res.writeHead(status); res.end('ok'); }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const p = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${p}/hook`, port: p, got,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

async function until<T>(f: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function service(over: Record<string, string> = {}): Promise<TestService> {
  const svc = await startTestService({ BACKSERV_WEBHOOK_SECRET: SECRET, BACKSERV_WEBHOOK_BACKOFF_MS: '100', ...over });
  cleanup.push(() => svc.close());
  return svc;
}

const submitWithHook = (svc: TestService, callback_url: string) =>
  postJson(`${svc.url}/submit_task`, { task_type: 'image_upscale', task_params: { image_url: image, scale_factor: 2 }, user_id: 'hooked', callback_url });

describe('webhooks', () => {
  it('POSTs the final state with a valid signature; a 500 is retried after a backoff', async () => {
    const rx = await startReceiver([500, 200]);
    cleanup.push(rx.close);
    // No periodic poll: the retry must come from the dispatcher's own backoff timer.
    const svc = await service({ BACKSERV_WEBHOOK_POLL_MS: '600000' });
    const sub = await submitWithHook(svc, rx.url);
    expect(sub.status).toBe(202);
    const view = await waitFor(svc.url, sub.body.ticket_id as string);
    expect(view.status).toBe('Completed');
    await until(() => rx.got.length >= 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(rx.got).toHaveLength(2); // delivered on the second try, then no more
    for (const [i, hit] of rx.got.entries()) {
      const sig = String(hit.headers['x-backserv-signature']);
      expect(sig).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(verifySignature(SECRET, sig, hit.body)).toBe(true);
      expect(verifySignature('wrong-secret', sig, hit.body)).toBe(false);
      expect(verifySignature(SECRET, sig, hit.body.replace('Completed', 'Failed'))).toBe(false);
      expect(hit.headers['content-type']).toBe('application/json');
      expect(hit.headers['x-backserv-attempt']).toBe(String(i + 1));
      expect(JSON.parse(hit.body)).toEqual(view); // the query_task view, as the client sees it
    }
    const gap = rx.got[1].at - rx.got[0].at;
    expect(gap).toBeGreaterThanOrEqual(70); // 100 ms ± 20 % jitter
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/backserv_webhook_deliveries_total\{outcome="retry"\} 1\b/);
    expect(metrics).toMatch(/backserv_webhook_deliveries_total\{outcome="delivered"\} 1\b/);
  });

  it('refuses callback_url without a secret, with a bad scheme, or aimed at a private literal address', async () => {
    const plain = await startTestService();
    cleanup.push(() => plain.close());
    const noSecret = await submitWithHook(plain, 'http://127.0.0.1:9/hook');
    expect(noSecret.status).toBe(400);
    expect(noSecret.body.message).toMatch(/BACKSERV_WEBHOOK_SECRET/);
    const svc = await service({ BACKSERV_URL_ALLOWLIST: '' });
    for (const url of ['http://169.254.169.254/latest', 'http://10.1.2.3/hook', 'http://[::1]:80/x']) {
      const res = await submitWithHook(svc, url);
      expect(res.status, url).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    }
    const ftp = await submitWithHook(svc, 'ftp://example.com/x');
    expect(ftp.status).toBe(400);
  });

  it('a name that resolves to a private address is not called unless allow-listed (checked at delivery), and is dropped, not retried', async () => {
    const rx = await startReceiver([]);
    cleanup.push(rx.close);
    const svc = await service({ BACKSERV_URL_ALLOWLIST: '', BACKSERV_WEBHOOK_MAX_ATTEMPTS: '6', BACKSERV_WEBHOOK_BACKOFF_MS: '20' });
    const sub = await submitWithHook(svc, `http://localhost:${rx.port}/hook`);
    expect(sub.status).toBe(202);
    await waitFor(svc.url, sub.body.ticket_id as string);
    let metrics = '';
    for (let i = 0; i < 200 && !metrics.includes('outcome="failed"} 1'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      metrics = await (await fetch(`${svc.url}/metrics`)).text();
    }
    expect(metrics).toMatch(/backserv_webhook_deliveries_total\{outcome="failed"\} 1\b/);
    // The policy's refusal cannot change on a retry: one attempt, then given up.
    expect(metrics).not.toMatch(/backserv_webhook_deliveries_total\{outcome="retry"\}/);
    expect(rx.got).toHaveLength(0);
  });

  it('a delivery still pending at shutdown is made after the restart (at-least-once)', async () => {
    // Reserve a port, then free it: the receiver is "down" while the task completes.
    const probe = await startReceiver([]);
    const port = probe.port;
    await probe.close();
    const env = { BACKSERV_WEBHOOK_SECRET: SECRET, BACKSERV_WEBHOOK_BACKOFF_MS: '1500' };
    const first = await startTestService(env);
    const sub = await submitWithHook(first, `http://127.0.0.1:${port}/hook`);
    await waitFor(first.url, sub.body.ticket_id as string);
    await new Promise((r) => setTimeout(r, 300)); // first attempt refused; the retry is ~1.5 s away
    await first.close();
    const rx = await startReceiver([], port);
    cleanup.push(rx.close);
    const second = await startTestService({ ...env, BACKSERV_DATA_DIR: first.dataDir });
    cleanup.push(() => second.close());
    await until(() => rx.got.length >= 1, 10_000);
    const hit = rx.got[0];
    expect(verifySignature(SECRET, String(hit.headers['x-backserv-signature']), hit.body)).toBe(true);
    expect(hit.headers['x-backserv-attempt']).toBe('2');
    expect(JSON.parse(hit.body)).toMatchObject({ ticket_id: sub.body.ticket_id, status: 'Completed' });
  });

  it('shutdown waits for a delivery in flight and records it as delivered', async () => {
    // The receiver takes 600 ms to answer; the service is closed while the POST is open.
    const rx = await startReceiver([], 0, 600);
    cleanup.push(rx.close);
    const svc = await startTestService({ BACKSERV_WEBHOOK_SECRET: SECRET });
    const sub = await submitWithHook(svc, rx.url);
    await waitFor(svc.url, sub.body.ticket_id as string);
    await until(() => rx.got.length >= 1, 10_000);
    await svc.close();
    const hooks = new WebhookStore(join(svc.dataDir, 'backserv-api.sqlite'));
    try {
      expect(await hooks.get(sub.body.ticket_id as string)).toMatchObject({ state: 'delivered', attempts: 1, last_error: null });
    } finally {
      await hooks.close();
    }
  });

  it('callback_events adds "start" and throttled "progress" calls before the final one, each signed', async () => {
    const rx = await startReceiver([]);
    cleanup.push(rx.close);
    const svc = await service({ BACKSERV_WEBHOOK_PROGRESS_MS: '0' });
    const sub = await postJson(`${svc.url}/submit_task`, {
      task_type: 'image_creation', task_params: { prompt: 'a lighthouse', width: 512, height: 512, steps: 30 }, user_id: 'hooked',
      callback_url: rx.url, callback_events: ['start', 'progress', 'completed'],
    });
    expect(sub.status).toBe(202);
    await waitFor(svc.url, sub.body.ticket_id as string);
    await until(() => rx.got.some((h) => h.headers['x-backserv-event'] === 'completed'));
    const events = rx.got.map((h) => String(h.headers['x-backserv-event']));
    for (const hit of rx.got) expect(verifySignature(SECRET, String(hit.headers['x-backserv-signature']), hit.body)).toBe(true);
    expect(events[0]).toBe('start');
    expect(JSON.parse(rx.got[0].body)).toMatchObject({ ticket_id: sub.body.ticket_id, status: 'In Progress' });
    const progress = rx.got.filter((h) => h.headers['x-backserv-event'] === 'progress').map((h) => JSON.parse(h.body) as { status: string; progress: { step: number; total: number } });
    expect(progress.length).toBeGreaterThanOrEqual(1);
    for (const p of progress) expect(p).toMatchObject({ status: 'In Progress', progress: { total: expect.any(Number) as number } });
    expect(events.filter((e) => e === 'start')).toHaveLength(1);
    expect(events.filter((e) => e === 'completed')).toHaveLength(1);
    expect(JSON.parse(rx.got.find((h) => h.headers['x-backserv-event'] === 'completed')!.body)).toMatchObject({ status: 'Completed' });
  });

  it('without "completed" in callback_events the final state is not posted; the default posts only it', async () => {
    const rx = await startReceiver([]);
    cleanup.push(rx.close);
    const svc = await service({ BACKSERV_WEBHOOK_PROGRESS_MS: '0' });
    const only = await postJson(`${svc.url}/submit_task`, {
      task_type: 'image_upscale', task_params: { image_url: image, scale_factor: 2 }, user_id: 'hooked', callback_url: rx.url, callback_events: ['start'],
    });
    const plain = await submitWithHook(svc, rx.url);
    await waitFor(svc.url, only.body.ticket_id as string);
    await waitFor(svc.url, plain.body.ticket_id as string);
    await until(() => rx.got.some((h) => h.headers['x-backserv-ticket'] === plain.body.ticket_id));
    await new Promise((r) => setTimeout(r, 400));
    const of = (t: unknown) => rx.got.filter((h) => h.headers['x-backserv-ticket'] === t).map((h) => h.headers['x-backserv-event']);
    expect(of(only.body.ticket_id)).toEqual(['start']);
    expect(of(plain.body.ticket_id)).toEqual(['completed']);
  });

  it('refuses callback_events without callback_url, and unknown or empty event lists', async () => {
    const svc = await service();
    const base = { task_type: 'image_upscale', task_params: { image_url: image }, user_id: 'hooked' };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ callback_events: ['start'] }, /callback_events needs a callback_url/],
      [{ callback_url: 'http://127.0.0.1:9/x', callback_events: ['finished'] }, /callback_events/],
      [{ callback_url: 'http://127.0.0.1:9/x', callback_events: [] }, /callback_events/],
      [{ callback_url: 'http://127.0.0.1:9/x', callback_events: 'start' }, /callback_events/],
    ];
    for (const [extra, re] of cases) {
      const res = await postJson(`${svc.url}/submit_task`, { ...base, ...extra });
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(String(res.body.message)).toMatch(re);
    }
  });
});
