/** API keys (401/403/404 isolation across submit, query, cancel, events) and the per-user rate limit (429). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { openSse } from '../helpers/sse.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

let svc: TestService;
const image = `data:image/png;base64,${readFileSync(join(FIXTURES, 'images', 'lowres_bryan.png')).toString('base64')}`;
const ALICE = 'alice-key-123456';
const BOB = 'bob-key-abcdefgh';

beforeAll(async () => {
  svc = await startTestService({ BACKSERV_API_KEYS: `${ALICE}:alice,${BOB}:bob`, BACKSERV_RATE_LIMIT_PER_MIN: '4' });
});
afterAll(async () => svc?.close());

async function call(method: string, path: string, opts: { key?: string; header?: 'bearer' | 'x-api-key'; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (opts.key) {
    if (opts.header === 'x-api-key') headers['x-api-key'] = opts.key;
    else headers.authorization = `Bearer ${opts.key}`;
  }
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${svc.url}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
}

const upscale = (user: string) => ({ task_type: 'image_upscale', task_params: { image_url: image, scale_factor: 2 }, user_id: user });

describe('API keys', () => {
  it('401 without or with an unknown key, 403 for another user_id, 202 for the own one', async () => {
    const none = await call('POST', '/submit_task', { body: upscale('alice') });
    expect(none.status).toBe(401);
    expect(none.body.error).toBe('unauthorized');
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await call('POST', '/submit_task', { key: 'not-a-real-key', body: upscale('alice') })).status).toBe(401);
    const forged = await call('POST', '/submit_task', { key: BOB, body: upscale('alice') });
    expect(forged.status).toBe(403);
    expect(forged.body.error).toBe('forbidden');
    const own = await call('POST', '/submit_task', { key: ALICE, header: 'x-api-key', body: upscale('alice') });
    expect(own.status).toBe(202);
  });

  it("another user's task is 404 on query, cancel and events; the owner sees it", async () => {
    svc.scheduler.pause();
    try {
      const sub = await call('POST', '/submit_task', { key: ALICE, body: upscale('alice') });
      const id = sub.body.ticket_id as string;
      expect((await call('GET', `/query_task/${id}`)).status).toBe(401);
      const bobQuery = await call('GET', `/query_task/${id}`, { key: BOB });
      expect(bobQuery.status).toBe(404);
      expect(bobQuery.body).toMatchObject({ error: 'not_found', message: `No task with ticket_id ${id}.` });
      // Same answer as a ticket that does not exist: nothing to learn from it.
      const ghost = await call('GET', '/query_task/00000000-0000-0000-0000-000000000000', { key: BOB });
      expect(ghost.status).toBe(404);
      expect((await call('POST', `/cancel_task/${id}`, { key: BOB })).status).toBe(404);
      const bobEvents = await openSse(`${svc.url}/events/${id}`, { authorization: `Bearer ${BOB}` });
      expect(bobEvents.status).toBe(404);
      expect((await openSse(`${svc.url}/events/${id}`)).status).toBe(401);
      // Bob's failed cancel left it alone; Alice can query, watch and cancel it.
      const aliceQuery = await call('GET', `/query_task/${id}`, { key: ALICE });
      expect(aliceQuery.body.status).toBe('Queueing');
      const aliceEvents = await openSse(`${svc.url}/events/${id}`, { authorization: `Bearer ${ALICE}` });
      expect(aliceEvents.status).toBe(200);
      await aliceEvents.until((e) => e.event === 'status');
      expect((await call('POST', `/cancel_task/${id}`, { key: ALICE })).status).toBe(200);
      await aliceEvents.closed;
      expect(aliceEvents.events.at(-1)?.id).toBe('done');
    } finally {
      svc.scheduler.resume();
    }
  });

  it('open endpoints stay open: /health, /ready, /metrics, /openapi.json, /docs/, /', async () => {
    for (const path of ['/health', '/ready', '/metrics', '/openapi.json', '/docs/', '/']) {
      const res = await fetch(`${svc.url}${path}`);
      expect(res.status, path).toBe(200);
      await res.arrayBuffer();
    }
    const doc = (await call('GET', '/openapi.json')).body as { paths: Record<string, { post?: { security?: unknown[] } }> };
    expect(doc.paths['/submit_task'].post?.security).toEqual([{ bearerAuth: [] }, { apiKeyHeader: [] }]);
  });
});

describe('rate limit', () => {
  it('per user: the bucket empties (429 rate_limited + Retry-After) without touching another user', async () => {
    // Bob has a fresh bucket of 4 (Alice spent hers above).
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof call>> | null = null;
    for (let i = 0; i < 6; i++) {
      const r = await call('POST', '/submit_task', { key: BOB, body: upscale('bob') });
      statuses.push(r.status);
      if (r.status === 429) limited = r;
    }
    expect(statuses).toEqual([202, 202, 202, 202, 429, 429]);
    expect(limited!.body.error).toBe('rate_limited');
    const retry = Number(limited!.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(15); // 4/min → one token per 15 s
    // Rejected submits created nothing; queries are not rate limited.
    for (let i = 0; i < 10; i++) expect((await call('GET', '/query_task/nope', { key: BOB })).status).toBe(404);
  });
});
