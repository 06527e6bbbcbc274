/** Small pieces of the extensions: key parsing, the token bucket's arithmetic, the development log format. */
import { describe, expect, it } from 'vitest';
import { loadApiExtrasConfig, parseAdminKeys, parseApiKeys } from '../../src/config/api-settings.js';
import { RateLimiter } from '../../src/api/rate-limit.js';
import { ApiError } from '../../src/tasks/errors.js';
import { formatLine } from '../../src/infra/logging-pretty.js';

describe('BACKSERV_API_KEYS parsing', () => {
  it('maps keys to users and refuses malformed lists', () => {
    expect([...parseApiKeys('key-aaaa1:alice, key-bbbb2:bob')]).toEqual([['key-aaaa1', 'alice'], ['key-bbbb2', 'bob']]);
    expect(parseApiKeys(undefined).size).toBe(0);
    expect(() => parseApiKeys('short:alice')).toThrow(/at least 8/);
    expect(() => parseApiKeys('no-user-here-1234')).toThrow(TypeError);
    expect(() => parseApiKeys('key-aaaa1:alice,key-aaaa1:bob')).toThrow(/twice/);
    expect(() => loadApiExtrasConfig({ BACKSERV_RATE_LIMIT_PER_MIN: '-1' })).toThrow(/BACKSERV_RATE_LIMIT_PER_MIN/);
  });
});

describe('BACKSERV_ADMIN_KEYS parsing', () => {
  it('lists operator keys, refuses short ones and any key that is also a user key', () => {
    expect(parseAdminKeys(' admin-key-0123456789, admin-key-abcdefghij ', new Map())).toEqual(['admin-key-0123456789', 'admin-key-abcdefghij']);
    expect(parseAdminKeys(undefined, new Map())).toEqual([]);
    expect(() => parseAdminKeys('short-key', new Map())).toThrow(/at least 16/);
    expect(() => parseAdminKeys('shared-key-0123456789', new Map([['shared-key-0123456789', 'alice']]))).toThrow(/also in BACKSERV_API_KEYS/);
    expect(loadApiExtrasConfig({ BACKSERV_ADMIN_KEYS: 'admin-key-0123456789' }).adminKeys).toEqual(['admin-key-0123456789']);
  });
});

describe('RateLimiter', () => {
  it('allows a burst of N, then one per 60/N s; Retry-After is the wait for the next token', () => {
    let t = 0;
    const rl = new RateLimiter(6, () => t); // one token per 10 s
    for (let i = 0; i < 6; i++) rl.take('u');
    let err: ApiError | null = null;
    try {
      rl.take('u');
    } catch (e) {
      err = e as ApiError;
    }
    expect(err?.status).toBe(429);
    expect(err?.code).toBe('rate_limited');
    expect(err?.headers['Retry-After']).toBe('10');
    rl.take('v'); // other users are unaffected
    t = 4_000;
    expect(() => rl.take('u')).toThrow(expect.objectContaining({ headers: { 'Retry-After': '6' } }) as unknown as Error);
    t = 10_000;
    rl.take('u'); // one token refilled
    expect(() => rl.take('u')).toThrow(ApiError);
    expect(() => new RateLimiter(0).take('u')).not.toThrow();
  });
});

describe('development log format', () => {
  it('prints requests as one short line and other records with their fields', () => {
    expect(formatLine(JSON.stringify({ level: 30, time: '2026-11-28T12:00:01.000Z', msg: 'request', method: 'GET', path: '/query_task/abc', status: 200, ms: 2.1 })))
      .toBe('12:00:01 GET /query_task/abc 200 2.1 ms');
    expect(formatLine(JSON.stringify({ level: 40, time: '2026-11-28T12:00:02.000Z', pid: 1, msg: 'task failed', ticket_id: 't1', error: 'boom' })))
      .toBe('12:00:02 WARN  task failed ticket_id=t1 error=boom');
  });
});
