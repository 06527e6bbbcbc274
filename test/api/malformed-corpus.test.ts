/**
 * A generated corpus of malformed requests (random JSON shapes, wrong types, extreme numbers,
 * long strings, invalid UTF-8, bad data URIs, truncated bodies, wrong content types, oversize
 * bodies): every answer is a 4xx JSON {error, message}, nothing is created, and the server
 * stays healthy. Fresh random cases each run; the seed is printed on failure.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { mulberry32 } from '../support/mulberry32.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ BACKSERV_BODY_LIMIT_BYTES: '65536', BACKSERV_FETCH_MAX_BYTES: '32768' });
  svc.scheduler.pause(); // nothing should be queued; if something is, it must stay visible
});
afterAll(async () => svc?.close());

interface Case {
  kind: string;
  body: Buffer;
  contentType: string;
}

function generate(seed: number, n: number): Case[] {
  const r = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const junkValues: unknown[] = [null, true, false, 0, -1, 1e308, -1e308, 2 ** 53 + 1, 3.5, NaN, '', ' ', 'x'.repeat(5000),
    [], [1, 2], {}, { a: { b: { c: [] } } }, '\u0000', '💥'.repeat(100), '../../etc/passwd', -0.0001, 1e-300];
  const randomJson = (depth: number): unknown => {
    const t = r();
    if (depth > 3 || t < 0.4) return pick(junkValues);
    if (t < 0.7) return Array.from({ length: Math.floor(r() * 4) }, () => randomJson(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = 0; i < r() * 4; i++) o[pick(['task_type', 'task_params', 'user_id', 'x', 'image_url', ''])] = randomJson(depth + 1);
    return o;
  };
  const goodParams = { image_url: 'https://example.com/a.png', scale_factor: 2 };
  const types = ['image_upscale', 'image_creation', 'face_swap', 'video_creation'];
  const mutators: (() => Case)[] = [
    () => ({ kind: 'random-shape', body: Buffer.from(JSON.stringify(randomJson(0)) ?? 'null'), contentType: 'application/json' }),
    () => { // envelope with one wrong-typed field
      const env: Record<string, unknown> = { task_type: pick(types), task_params: { ...goodParams }, user_id: 'u1' };
      // Values wrong for every one of the three fields (no plain ASCII word, which is a valid user_id).
      const wrong = [null, true, false, 0, -1, 1e308, 3.5, '', ' ', 'x'.repeat(5000), [], [1, 2], '\u0000', '💥'.repeat(100)];
      env[pick(['task_type', 'task_params', 'user_id'])] = pick(wrong);
      return { kind: 'wrong-type', body: Buffer.from(JSON.stringify(env)), contentType: 'application/json' };
    },
    () => { // upscale params out of range or wrong type
      const params: Record<string, unknown> = { ...goodParams };
      params[pick(['scale_factor', 'image_url'])] = pick([1, 5, -3, 0, 2.5, 1e9, -1e9, '4', null, [], {}, true, '', 'ftp://x/y.png', 'javascript:alert(1)']);
      return { kind: 'bad-upscale', body: Buffer.from(JSON.stringify({ task_type: 'image_upscale', task_params: params, user_id: 'u' })), contentType: 'application/json' };
    },
    () => { // creation/video params out of range
      const t = pick(['image_creation', 'video_creation']);
      const params: Record<string, unknown> = { prompt: 'a cat' };
      // Values that are wrong for the field whichever task type gets them.
      const invalid: Record<string, unknown[]> = {
        width: [-1, 0, 7, 63, 1025, 1e12, 'big', null, 4.5, 516.5],
        height: [-8, 0, 60, 100000, '512', [], true],
        steps: [0, -1, 101, 1.5, 'x', null],
        duration: [0, -1, 11, 1.5, '2'],
        fps: [0, 31, -2, 2.5, {}],
        prompt: ['', 'p'.repeat(2001), 5, null, []],
        seed: [-1, 4294967296, 1.5, 'x'],
        guidance_scale: [-0.1, 31, 'x', null, 1e9],
      };
      const field = pick(Object.keys(invalid));
      params[field] = pick(invalid[field]);
      if (t === 'image_creation' && ['duration', 'fps'].includes(field)) params.nonsense = 1;
      if (t === 'video_creation' && ['steps', 'guidance_scale'].includes(field)) params.bogus = true;
      return { kind: 'bad-range', body: Buffer.from(JSON.stringify({ task_type: t, task_params: params, user_id: 'u' })), contentType: 'application/json' };
    },
    () => ({ kind: 'unknown-field', body: Buffer.from(JSON.stringify({ task_type: 'image_upscale', task_params: { ...goodParams, [`f${Math.floor(r() * 1e6)}`]: 1 }, user_id: 'u' })), contentType: 'application/json' }),
    () => ({ kind: 'unknown-top-field', body: Buffer.from(JSON.stringify({ task_type: 'image_upscale', task_params: goodParams, user_id: 'u', priority: 9 })), contentType: 'application/json' }),
    () => ({ kind: 'long-user', body: Buffer.from(JSON.stringify({ task_type: 'image_upscale', task_params: goodParams, user_id: 'u'.repeat(129 + Math.floor(r() * 5000)) })), contentType: 'application/json' }),
    () => ({ kind: 'bad-user', body: Buffer.from(JSON.stringify({ task_type: 'image_upscale', task_params: goodParams, user_id: pick(['', ' ', 'a b', 'tab\there', 'ü']) })), contentType: 'application/json' }),
    () => { // invalid UTF-8 inside an otherwise valid body
      const s = JSON.stringify({ task_type: 'image_upscale', task_params: goodParams, user_id: 'uXX' });
      const b = Buffer.from(s);
      const at = b.indexOf('XX');
      b[at] = pick([0xff, 0xc0, 0xfe, 0x80]);
      b[at + 1] = pick([0x28, 0xff, 0x41]);
      return { kind: 'bad-utf8', body: b, contentType: 'application/json' };
    },
    () => { // bad data URIs
      const uri = pick(['data:', 'data:image/png;base64,', 'data:image/png;base64,@@@@', 'data:text/plain;base64,aGVsbG8=',
        'data:image/png;base64,A', 'data:image/png,%zz', `data:image/png;base64,${'A'.repeat(60000)}`, 'data:;base64,AAAA', 'data:image/png;base64,AAA=A']);
      return { kind: 'bad-data-uri', body: Buffer.from(JSON.stringify({ task_type: 'image_upscale', task_params: { image_url: uri }, user_id: 'u' })), contentType: 'application/json' };
    },
    () => { // truncated JSON
      const s = JSON.stringify({ task_type: 'image_upscale', task_params: goodParams, user_id: 'u' });
      return { kind: 'truncated', body: Buffer.from(s.slice(0, Math.floor(r() * (s.length - 1)))), contentType: 'application/json' };
    },
    () => ({ kind: 'content-type', body: Buffer.from(JSON.stringify({ task_type: 'image_upscale', task_params: goodParams, user_id: 'u' })), contentType: pick(['text/plain', 'application/x-www-form-urlencoded', '', 'multipart/form-data; boundary=x', 'application/jsonx']) }),
    () => ({ kind: 'oversize', body: Buffer.from(JSON.stringify({ task_type: 'image_upscale', task_params: { image_url: 'https://e.com/' + 'a'.repeat(70000) }, user_id: 'u' })), contentType: 'application/json' }),
    () => ({ kind: 'not-json', body: Buffer.from(pick(['', 'hello', '<xml/>', '{', '}', '[', 'nul', '{"a":}', '\u0000\u0001', '{"task_type":"image_upscale",}'])), contentType: 'application/json' }),
  ];
  return Array.from({ length: n }, () => pick(mutators)());
}

function send(url: string, c: Case): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-length': c.body.length };
    if (c.contentType) headers['content-type'] = c.contentType;
    const req = request(`${url}/submit_task`, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(c.body);
  });
}

describe('malformed request corpus', () => {
  it('answers every one of 1,200 malformed requests with a 4xx JSON error and creates nothing', async () => {
    const seed = Math.floor(Math.random() * 2 ** 31);
    const cases = generate(seed, 1200);
    const kinds = new Map<string, number>();
    for (let i = 0; i < cases.length; i += 25) {
      const batch = cases.slice(i, i + 25);
      const answers = await Promise.all(batch.map((c) => send(svc.url, c)));
      answers.forEach((a, j) => {
        const c = batch[j];
        const ctx = `seed ${seed}, case ${i + j} (${c.kind}): ${c.body.subarray(0, 200).toString()} → ${a.status} ${a.body.slice(0, 200)}`;
        expect(a.status, ctx).toBeGreaterThanOrEqual(400);
        expect(a.status, ctx).toBeLessThan(500);
        expect(a.type, ctx).toMatch(/application\/json/);
        const parsed = JSON.parse(a.body) as { error: unknown; message: unknown };
        expect(typeof parsed.error, ctx).toBe('string');
        expect(typeof parsed.message, ctx).toBe('string');
        kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
      });
    }
    expect(kinds.size).toBeGreaterThanOrEqual(12);
    const ready = await getJson(`${svc.url}/ready`);
    expect(ready.body.tasks).toEqual({ Queueing: 0, 'In Progress': 0, Completed: 0, Failed: 0, Cancelled: 0 });
    expect((await getJson(`${svc.url}/health`)).body).toEqual({ status: 'ok' });
  });

  it('survives connections cut mid-body and mid-headers', async () => {
    const port = new URL(svc.url).port;
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve) => {
        const sock = connect(Number(port), '127.0.0.1', () => {
          sock.write(i % 2
            ? 'POST /submit_task HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"task_type":"image_'
            : 'POST /submit_task HTTP/1.1\r\nHost: x\r\nContent-Ty');
          sock.destroy();
          resolve();
        });
        sock.on('error', () => resolve());
      });
    }
    await new Promise((r) => setTimeout(r, 100));
    expect((await getJson(`${svc.url}/health`)).status).toBe(200);
    const ready = await getJson(`${svc.url}/ready`);
    expect((ready.body.tasks as Record<string, number>).Queueing).toBe(0);
  });

  it('answers wrong methods and unknown routes with JSON errors', async () => {
    const get = await fetch(`${svc.url}/submit_task`);
    expect(get.status).toBe(405);
    expect(((await get.json()) as { error: string }).error).toBe('method_not_allowed');
    const nope = await fetch(`${svc.url}/nope`);
    expect(nope.status).toBe(404);
    expect(((await nope.json()) as { error: string }).error).toBe('not_found');
    const traversal = await fetch(`${svc.url}/results/..%2F..%2Fetc%2Fpasswd`);
    expect(traversal.status).toBe(404);
  });
});
