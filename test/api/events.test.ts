/**
 * GET /events/:ticket_id end to end: a real upscale in small tiles (many progress steps), the
 * events in order, the stream closing after the final state, queue position while waiting,
 * heartbeats, and Last-Event-ID reconnects.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, getJson, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { openSse } from '../helpers/sse.js';

let svc: TestService;
const image = `data:image/png;base64,${readFileSync(join(FIXTURES, 'images', 'lowres_bryan.png')).toString('base64')}`;

beforeAll(async () => {
  svc = await startTestService({ BACKSERV_UPSCALE_TILE: '32', BACKSERV_UPSCALE_PAD: '4', BACKSERV_SSE_HEARTBEAT_MS: '200' });
});
afterAll(async () => svc?.close());

const statusOf = (e: { event: string; data: unknown }) => (e.data as { status?: string }).status;

describe('SSE /events/:ticket_id', () => {
  it('streams queue position, status changes and progress in order, then the final state, then closes', async () => {
    svc.scheduler.pause(); // hold the queue: the first task waits behind nothing, the second behind the first
    const a = await submit(svc.url, 'image_upscale', { image_url: image, scale_factor: 2 }, 'alice');
    const b = await submit(svc.url, 'image_upscale', { image_url: image, scale_factor: 2 }, 'alice');
    const stream = await openSse(`${svc.url}/events/${b.body.ticket_id}`);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const first = await stream.until(() => true);
    expect(first).toMatchObject({ id: '1', event: 'status' });
    expect(first.data).toMatchObject({ status: 'Queueing', queue_position: 1, ticket_id: b.body.ticket_id });
    svc.scheduler.resume();
    await stream.closed;
    const events = stream.events;
    // ids count up 1, 2, 3 … and the last one is "done".
    expect(events.at(-1)!.id).toBe('done');
    events.slice(0, -1).forEach((e, i) => expect(e.id).toBe(String(i + 1)));
    // Position 1 → 0 once the task ahead was claimed, before this one started.
    const queue = events.filter((e) => e.event === 'queue').map((e) => (e.data as { queue_position: number }).queue_position);
    expect(queue).toEqual([0]);
    const statuses = events.filter((e) => e.event === 'status').map(statusOf);
    expect(statuses).toEqual(['Queueing', 'In Progress', 'Completed']);
    const iStart = events.findIndex((e) => statusOf(e) === 'In Progress');
    const iQueue = events.findIndex((e) => e.event === 'queue');
    expect(iQueue).toBeLessThan(iStart);
    const progress = events.filter((e) => e.event === 'progress').map((e) => e.data as { step: number; total: number; percent: number });
    expect(progress.length).toBeGreaterThanOrEqual(4); // 115 px in 32 px tiles: 16 tiles
    expect(events.findIndex((e) => e.event === 'progress')).toBeGreaterThan(iStart);
    for (let i = 1; i < progress.length; i++) expect(progress[i].step).toBeGreaterThan(progress[i - 1].step);
    expect(progress.at(-1)).toMatchObject({ step: progress.at(-1)!.total, percent: 100 });
    const final = events.at(-1)!.data as Record<string, unknown>;
    expect(final.status).toBe('Completed');
    expect(final.result_info).toMatch(new RegExp(`/results/${b.body.ticket_id}\\.png$`));
    const png = await fetch(final.result_info as string);
    expect(png.headers.get('content-type')).toBe('image/png');
    // Equal to what query_task says.
    const q = await getJson(`${svc.url}/query_task/${b.body.ticket_id}`);
    expect(q.body.result_info).toBe(final.result_info);
    await waitFor(svc.url, a.body.ticket_id as string);
  });

  it('reconnect with Last-Event-ID resends the current state and continues numbering; done → 204', async () => {
    svc.scheduler.pause();
    try {
      const t = await submit(svc.url, 'image_upscale', { image_url: image, scale_factor: 2 });
      const s1 = await openSse(`${svc.url}/events/${t.body.ticket_id}`);
      const e1 = await s1.until(() => true);
      expect(e1.id).toBe('1');
      s1.abort();
      // Heartbeats are comment lines; a reconnect after id 7 starts at 8 with the full state.
      const s2 = await openSse(`${svc.url}/events/${t.body.ticket_id}`, { 'last-event-id': '7' });
      const e2 = await s2.until(() => true);
      expect(e2).toMatchObject({ id: '8', event: 'status' });
      expect(e2.data).toMatchObject({ status: 'Queueing', queue_position: 0 });
      await new Promise((r) => setTimeout(r, 500));
      expect(s2.comments).toBeGreaterThanOrEqual(1);
      // Cancelling ends the stream with the final state.
      await fetch(`${svc.url}/cancel_task/${t.body.ticket_id}`, { method: 'POST' });
      await s2.closed;
      expect(s2.events.at(-1)).toMatchObject({ id: 'done', event: 'status' });
      expect(statusOf(s2.events.at(-1)!)).toBe('Cancelled');
      // A reconnect that has seen "done": 204 (EventSource stops); any other id: final state again, then close.
      const again = await fetch(`${svc.url}/events/${t.body.ticket_id}`, { headers: { 'last-event-id': 'done' } });
      expect(again.status).toBe(204);
      const s3 = await openSse(`${svc.url}/events/${t.body.ticket_id}`, { 'last-event-id': '9' });
      await s3.closed;
      expect(s3.events.map((e) => [e.id, statusOf(e)])).toEqual([['done', 'Cancelled']]);
      // Every stream, including the one the client aborted, has been released on the server.
      let open = -1;
      for (let i = 0; i < 100 && open !== 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        open = Number(/^backserv_sse_streams (\d+)$/m.exec(await (await fetch(`${svc.url}/metrics`)).text())?.[1]);
      }
      expect(open).toBe(0);
    } finally {
      svc.scheduler.resume();
    }
  });

  it('unknown ticket → 404 JSON', async () => {
    const res = await fetch(`${svc.url}/events/no-such-ticket`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'not_found' });
  });
});
