/**
 * query_task has a direct path for plain ticket ids, and submit_task one for a POST to exactly its
 * path (app.ts, ahead of the router); everything else about the routes still goes through the
 * router. Both must answer alike: the same view, the same metrics label, the same request log
 * line; HEAD, a trailing slash and a percent-encoded id as before; other methods 405.
 */
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { startService, type RunningService } from '../../src/service.js';
import { getJson, submit } from '../helpers/http.js';
import { testEnv } from '../helpers/service.js';

let svc: RunningService;
const lines: Record<string, unknown>[] = [];
let ticket: string;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  svc = await startService(loadConfig(testEnv()), pino({ level: 'info' }, sink));
  svc.scheduler.pause(); // the task stays queued: a stable view to compare
  const res = await submit(svc.url, 'image_upscale', { image_url: 'https://example.com/a.png' });
  expect(res.status).toBe(202);
  ticket = res.body.ticket_id as string;
});
afterAll(async () => svc?.close());

async function metricCount(route: string, method: string, status: number): Promise<number> {
  const text = await (await fetch(`${svc.url}/metrics`)).text();
  const m = new RegExp(`^backserv_http_request_duration_seconds_count\\{method="${method}",route="${route.replace(/[/:]/g, (c) => `\\${c}`)}",status="${status}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

describe('GET /query_task/:ticket_id', () => {
  it('answers a plain id, a trailing slash and a percent-encoded id with the same view', async () => {
    const direct = await getJson(`${svc.url}/query_task/${ticket}`);
    expect(direct.status).toBe(200);
    expect(direct.body).toMatchObject({ ticket_id: ticket, status: 'Queueing', queue_position: 0, task_type: 'image_upscale' });
    const slash = await getJson(`${svc.url}/query_task/${ticket}/`);
    expect(slash.status).toBe(200);
    expect(slash.body).toEqual(direct.body);
    const first = ticket.charCodeAt(0).toString(16);
    const encoded = await getJson(`${svc.url}/query_task/%${first}${ticket.slice(1)}`);
    expect(encoded.status).toBe(200);
    expect(encoded.body).toEqual(direct.body);
  });

  it('counts every answer under the route pattern and logs it with the ticket id', async () => {
    const before = await metricCount('/query_task/:ticket_id', 'GET', 200);
    lines.length = 0;
    for (let i = 0; i < 3; i++) expect((await getJson(`${svc.url}/query_task/${ticket}`)).status).toBe(200);
    expect((await getJson(`${svc.url}/query_task/${ticket}/`)).status).toBe(200);
    expect(await metricCount('/query_task/:ticket_id', 'GET', 200)).toBe(before + 4);
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    expect(text.includes(ticket)).toBe(false);
    const logged = lines.filter((l) => l.msg === 'request' && l.ticket_id === ticket);
    expect(logged).toHaveLength(4);
    for (const l of logged) expect(l).toMatchObject({ level: 30, method: 'GET', route: '/query_task/:ticket_id', status: 200 });
  });

  it('answers HEAD, refuses other methods with 405, and 404s unknown or malformed ids', async () => {
    const head = await fetch(`${svc.url}/query_task/${ticket}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await head.text()).toBe('');
    const post = await fetch(`${svc.url}/query_task/${ticket}`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toMatch(/GET/);
    expect(((await post.json()) as { error: string }).error).toBe('method_not_allowed');
    for (const id of ['00000000-0000-0000-0000-000000000000', 'a.b', 'x'.repeat(65)]) {
      const res = await getJson(`${svc.url}/query_task/${id}`);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'not_found', message: `No task with ticket_id ${id}.` });
    }
    const nested = await getJson(`${svc.url}/query_task/${ticket}/more`);
    expect(nested.status).toBe(404);
    expect(nested.body.error).toBe('not_found');
  });
});

describe('POST /submit_task', () => {
  it('answers the direct path and the router alike: 202, the metrics label, the request log line', async () => {
    const before = await metricCount('/submit_task', 'POST', 202);
    lines.length = 0;
    const direct = await submit(svc.url, 'image_upscale', { image_url: 'https://example.com/b.png' });
    expect(direct.status).toBe(202);
    expect(direct.body).toMatchObject({ status: 'Queueing', serv_name: expect.any(String) });
    // A trailing slash is not the direct path: the router takes it, to the same handler.
    const routed = await fetch(`${svc.url}/submit_task/`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ task_type: 'image_upscale', task_params: { image_url: 'https://example.com/c.png' }, user_id: 'u' }),
    });
    expect(routed.status).toBe(202);
    expect(Object.keys((await routed.json()) as object).sort()).toEqual(Object.keys(direct.body).sort());
    expect(await metricCount('/submit_task', 'POST', 202)).toBe(before + 2);
    const logged = lines.filter((l) => l.msg === 'request' && l.route === '/submit_task');
    expect(logged).toHaveLength(2);
    for (const l of logged) expect(l).toMatchObject({ level: 30, method: 'POST', status: 202 });
    expect(lines.filter((l) => l.msg === 'task accepted')).toHaveLength(2);
  });

  it('refuses a bad body on the direct path exactly as before, and other methods with 405', async () => {
    const bad = await fetch(`${svc.url}/submit_task`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"task_type":' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('invalid_json');
    const get = await fetch(`${svc.url}/submit_task`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toMatch(/POST/);
  });
});
