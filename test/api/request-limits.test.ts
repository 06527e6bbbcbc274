/**
 * Bounded request memory and time, through real sockets: the in-flight body budget answers 503
 * (before reading a new body, and to a body that outgrows it), a client address gets at most
 * BACKSERV_MAX_CONNECTIONS_PER_CLIENT connections, slow or stalled senders get 408 after the
 * configured time (not Node's 120 s), and every answer Node itself makes (bad request line,
 * header overflow, header timeout, unknown method, CONNECT) is JSON {error, message}.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { getJson } from '../helpers/http.js';
import { RawClient, submitHead, type RawAnswer } from '../helpers/raw-http.js';
import { startTestService, type TestService } from '../helpers/service.js';

let svc: TestService;

beforeAll(async () => {
  svc = await startTestService({
    BACKSERV_MAX_INFLIGHT_BODY_BYTES: String(1024 * 1024),
    BACKSERV_MAX_CONNECTIONS_PER_CLIENT: '24',
    BACKSERV_BODY_TIMEOUT_MS: '500',
    BACKSERV_BODY_MIN_BYTES_PER_S: '1000',
  });
});
afterAll(async () => svc?.close());

function expectJsonError(a: RawAnswer, status: number, code: string): void {
  expect(a.status, a.body).toBe(status);
  expect(a.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(a.body) as { error: string; message: string };
  expect(body.error).toBe(code);
  expect(typeof body.message).toBe('string');
}

async function raw(text: string | Buffer): Promise<RawAnswer> {
  const c = new RawClient(svc.port);
  c.write(text);
  try {
    return await c.answer();
  } finally {
    c.destroy();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('in-flight body budget', () => {
  it('answers 503 server_busy with Retry-After before reading a new body once the budget is held, and recovers', async () => {
    // 16 uploads that declare 1 MiB and stall after a few bytes each hold a 64 KiB share: 1 MiB.
    const holders: RawClient[] = [];
    onTestFinished(() => holders.forEach((c) => c.destroy()));
    for (let i = 0; i < 16; i++) {
      const c = new RawClient(svc.port);
      c.write(submitHead(1024 * 1024) + '{"task_type":');
      holders.push(c);
    }
    await sleep(200);
    // Headers only: the answer cannot depend on reading the body.
    const late = new RawClient(svc.port);
    late.write(submitHead(1000));
    const a = await late.answer();
    expectJsonError(a, 503, 'server_busy');
    expect(a.headers['retry-after']).toBe('2');
    expect(a.headers.connection).toBe('close');
    expect(await late.whenClosed()).toBe(true);
    for (const c of holders) c.destroy();
    await sleep(200);
    const after = await raw(submitHead(2) + '{}');
    expectJsonError(after, 400, 'invalid_request'); // read and validated again
  });

  it('refuses a body whose structure outgrows the budget (strings under the spill threshold count)', async () => {
    // Many short strings (each kept in memory), 700 KiB per body: three of them pass 1 MiB.
    const clients: RawClient[] = [];
    onTestFinished(() => clients.forEach((c) => c.destroy()));
    const piece = `"${'s'.repeat(1000)}",`.repeat(700);
    for (let i = 0; i < 3; i++) {
      const c = new RawClient(svc.port);
      c.write(submitHead(3 * 1024 * 1024) + '{"task_type":"image_upscale","task_params":{"x":[' + piece);
      clients.push(c);
      await sleep(150);
    }
    const answers = await Promise.all(clients.map((c) => c.answer().catch(() => null)));
    const busy = answers.filter((a) => a?.status === 503);
    expect(busy.length).toBeGreaterThanOrEqual(1);
    expectJsonError(busy[0]!, 503, 'server_busy');
    for (const c of clients) c.destroy();
    expect((await getJson(`${svc.url}/health`)).status).toBe(200);
  });
});

describe('per-client connection cap', () => {
  it('answers 429 too_many_connections on a connection over the cap, and accepts again once they close', async () => {
    const open: RawClient[] = [];
    onTestFinished(() => open.forEach((c) => c.destroy()));
    for (let i = 0; i < 24; i++) {
      const c = new RawClient(svc.port);
      await c.connected();
      open.push(c);
    }
    await sleep(100);
    const over = new RawClient(svc.port);
    over.write('GET /health HTTP/1.1\r\nHost: t\r\n\r\n');
    const a = await over.answer();
    expectJsonError(a, 429, 'too_many_connections');
    expect(a.headers['retry-after']).toBe('1');
    expect(await over.whenClosed()).toBe(true);
    // (fetch in other tests may hold one keep-alive connection too, so all of these go.)
    for (const c of open) c.destroy();
    await sleep(100);
    const ok = await raw('GET /health HTTP/1.1\r\nHost: t\r\n\r\n');
    expect(ok.status).toBe(200);
  });
});

describe('slow senders', () => {
  it('a body that stalls gets 408 request_timeout after BACKSERV_BODY_TIMEOUT_MS, and the connection closes', async () => {
    const c = new RawClient(svc.port);
    const started = Date.now();
    c.write(submitHead(5000) + '{"task_type":"image_upscale"');
    const a = await c.answer();
    expectJsonError(a, 408, 'request_timeout');
    expect(JSON.parse(a.body).message).toMatch(/stalled/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await c.whenClosed()).toBe(true);
  });

  it('a body that trickles (never idle long, but under the minimum rate) gets 408', async () => {
    const c = new RawClient(svc.port);
    c.write(submitHead(100_000) + '{"a":"');
    const started = Date.now();
    const timer = setInterval(() => c.write('x'), 100);
    try {
      const a = await c.answer();
      expectJsonError(a, 408, 'request_timeout');
      expect(JSON.parse(a.body).message).toMatch(/slower than 1000 bytes\/s/);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      clearInterval(timer);
      c.destroy();
    }
  });

  it('headers that never finish get a JSON 408 (headers timeout = 2 × BACKSERV_BODY_TIMEOUT_MS)', async () => {
    const c = new RawClient(svc.port);
    c.write('GET /health HTTP/1.1\r\nHost: t\r\n');
    const a = await c.answer();
    expectJsonError(a, 408, 'request_timeout');
    c.destroy();
  });
});

describe('answers Node makes before Koa are JSON', () => {
  it('a malformed request line is 400 malformed_request', async () => {
    expectJsonError(await raw('GARBAGE\r\n\r\n'), 400, 'malformed_request');
    expectJsonError(await raw('GET / HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n'), 400, 'malformed_request');
  });

  it('headers over the limit are 431 headers_too_large', async () => {
    expectJsonError(await raw(`GET /health HTTP/1.1\r\nHost: t\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`), 431, 'headers_too_large');
  });

  it('an unknown method is 501 method_not_implemented, CONNECT too', async () => {
    expectJsonError(await raw('PROPFIND /health HTTP/1.1\r\nHost: t\r\n\r\n'), 501, 'method_not_implemented');
    expectJsonError(await raw('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'), 501, 'method_not_implemented');
  });

  it('an error answer to a body that was not read closes the connection', async () => {
    const c = new RawClient(svc.port);
    c.write('POST /submit_task HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\nabc');
    const a = await c.answer();
    expectJsonError(a, 415, 'unsupported_media_type');
    expect(a.headers.connection).toBe('close');
    expect(await c.whenClosed()).toBe(true);
  });
});
