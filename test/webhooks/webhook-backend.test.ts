/**
 * One conformance suite for both webhook backends (SQLite file, real Redis): registration is
 * idempotent, arming happens once, a claim excludes other dispatchers until its lease lapses,
 * retries come due at their time, finished rows are never claimed again.
 */
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { WebhookBackend } from '../../src/webhooks/webhook-backend.js';
import { WebhookStore } from '../../src/webhooks/webhook-store.js';
import { RedisWebhookStore } from '../../src/webhooks/webhook-store-redis.js';
import { REDIS_URL, dropPrefix, testPrefix } from '../helpers/redis.js';

const dir = mkdtempSync(join(tmpdir(), 'backserv-webhook-backend-'));
const redis = new Redis(REDIS_URL);
const prefix = testPrefix();
afterAll(async () => {
  await dropPrefix(redis, prefix);
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

const backends: [string, () => WebhookBackend][] = [
  ['sqlite', () => new WebhookStore(join(dir, `api-${Math.random().toString(36).slice(2)}.sqlite`))],
  ['redis', () => new RedisWebhookStore(redis, `${prefix}${Math.random().toString(36).slice(2)}:`)],
];

describe.each(backends)('webhook backend: %s', (_name, make) => {
  const T0 = 1_700_000_000_000;

  it('registers once, arms once, and lists what is waiting and what is due', async () => {
    const b = make();
    await b.register('t1', 'https://example.com/a', 'http://svc');
    await b.register('t1', 'https://example.com/other', 'http://other'); // a repeat changes nothing
    await b.register('t2', 'https://example.com/b', 'http://svc');
    expect(await b.get('t1')).toEqual({ ticket_id: 't1', url: 'https://example.com/a', base_url: 'http://svc', state: 'waiting', attempts: 0, next_at: 0, last_error: null });
    expect(await b.get('nope')).toBeNull();
    expect((await b.waiting(10)).sort()).toEqual(['t1', 't2']);
    expect(await b.arm('t1', T0)).toBe(true);
    expect(await b.arm('t1', T0 + 5)).toBe(false);
    expect(await b.arm('nope', T0)).toBe(false);
    expect(await b.waiting(10)).toEqual(['t2']);
    expect(await b.due(T0 - 1, 10)).toEqual([]);
    expect(await b.due(T0, 10)).toEqual(['t1']);
    expect((await b.get('t1'))?.state).toBe('pending');
    await b.close();
  });

  it('a claim excludes other dispatchers until its lease lapses; not before the due time', async () => {
    const b = make();
    await b.register('t', 'https://example.com/a', 'http://svc');
    expect(await b.claim('t', T0, 1000)).toBeNull(); // waiting, not pending
    await b.arm('t', T0 + 100);
    expect(await b.claim('t', T0, 1000)).toBeNull(); // not due yet
    expect(await b.claim('t', T0 + 100, 1000)).toMatchObject({ ticket_id: 't', state: 'pending', attempts: 0 });
    expect(await b.claim('t', T0 + 200, 1000)).toBeNull(); // another node, lease still held
    expect(await b.claim('t', T0 + 1100, 1000)).not.toBeNull(); // lease lapsed: the holder died
    await b.close();
  });

  it('retryLater records the attempt, ends the lease and makes it due again at its time', async () => {
    const b = make();
    await b.register('t', 'https://example.com/a', 'http://svc');
    await b.arm('t', T0);
    expect(await b.claim('t', T0, 60_000)).not.toBeNull();
    await b.retryLater('t', 1, T0 + 500, 'receiver answered HTTP 500');
    expect(await b.get('t')).toMatchObject({ state: 'pending', attempts: 1, next_at: T0 + 500, last_error: 'receiver answered HTTP 500' });
    expect(await b.due(T0 + 499, 10)).toEqual([]);
    expect(await b.due(T0 + 500, 10)).toEqual(['t']);
    expect(await b.claim('t', T0 + 499, 1000)).toBeNull();
    expect(await b.claim('t', T0 + 500, 1000)).toMatchObject({ attempts: 1 }); // the old lease is gone
    await b.close();
  });

  it('finished deliveries are neither due nor claimable, and keep their outcome', async () => {
    const b = make();
    for (const id of ['ok', 'bad']) {
      await b.register(id, 'https://example.com/a', 'http://svc');
      await b.arm(id, T0);
      await b.claim(id, T0, 1000);
    }
    await b.finish('ok', 'delivered', 1, null);
    await b.finish('bad', 'failed', 6, 'connection refused');
    expect(await b.due(T0 + 10_000, 10)).toEqual([]);
    expect(await b.claim('ok', T0 + 10_000, 1000)).toBeNull();
    expect(await b.get('ok')).toMatchObject({ state: 'delivered', attempts: 1, last_error: null });
    expect(await b.get('bad')).toMatchObject({ state: 'failed', attempts: 6, last_error: 'connection refused' });
    await b.retryLater('ok', 2, T0, 'late'); // a stale retry cannot reopen it
    expect((await b.get('ok'))?.state).toBe('delivered');
    await b.close();
  });
});

describe('webhook backend: sqlite file from before leases', () => {
  it('gains the lease column and keeps its rows', async () => {
    const file = join(dir, 'old.sqlite');
    const db = new Database(file);
    db.exec(`CREATE TABLE webhooks (ticket_id TEXT PRIMARY KEY, url TEXT NOT NULL, base_url TEXT NOT NULL,
      state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL DEFAULT 0, last_error TEXT, created_at INTEGER NOT NULL);
      INSERT INTO webhooks VALUES ('old', 'https://example.com/a', 'http://svc', 'pending', 1, 5, 'HTTP 500', 1);`);
    db.close();
    const b = new WebhookStore(file);
    expect(await b.due(10, 10)).toEqual(['old']);
    expect(await b.claim('old', 10, 1000)).toMatchObject({ attempts: 1, last_error: 'HTTP 500' });
    await b.close();
  });
});
