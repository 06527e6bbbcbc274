/**
 * /metrics after a known history: 2 upscales completed, 1 failed (bad image), 1 cancelled while
 * queued, 1 left queued. Counters, gauges and histogram counts must say exactly that.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, getJson, postJson, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

let svc: TestService;
const image = `data:image/png;base64,${readFileSync(join(FIXTURES, 'images', 'lowres_bryan.png')).toString('base64')}`;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => svc?.close());

/** Parses the text exposition format into "name{labels}" → value. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

describe('/metrics', () => {
  it('counts what happened, by type and status; queue depth, histograms and HTTP latency agree', async () => {
    for (let i = 0; i < 2; i++) {
      const t = await submit(svc.url, 'image_upscale', { image_url: image, scale_factor: 2 });
      expect((await waitFor(svc.url, t.body.ticket_id as string)).status).toBe('Completed');
    }
    // Accepted at the door (a well-formed URL), fails in the worker: nothing listens there.
    const broken = await submit(svc.url, 'image_upscale', { image_url: 'http://127.0.0.1:9/nothing-listens-here.png' });
    expect(broken.status).toBe(202);
    expect((await waitFor(svc.url, broken.body.ticket_id as string)).status).toBe('Failed');
    svc.scheduler.pause();
    const cancelled = await submit(svc.url, 'image_upscale', { image_url: image });
    expect((await postJson(`${svc.url}/cancel_task/${cancelled.body.ticket_id}`, {})).status).toBe(200);
    await submit(svc.url, 'image_upscale', { image_url: image }); // stays queued
    await getJson(`${svc.url}/query_task/does-not-exist`); // one 404 on a templated route

    const res = await fetch(`${svc.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const m = parse(await res.text());
    expect(m.get('backserv_tasks_submitted_total{task_type="image_upscale"}')).toBe(5);
    expect(m.get('backserv_tasks_total{task_type="image_upscale",status="Completed"}')).toBe(2);
    expect(m.get('backserv_tasks_total{task_type="image_upscale",status="Failed"}')).toBe(1);
    expect(m.get('backserv_tasks_total{task_type="image_upscale",status="Cancelled"}')).toBe(1);
    expect(m.get('backserv_queue_depth{task_type="image_upscale"}')).toBe(1);
    expect(m.get('backserv_queue_depth{task_type="image_creation"}')).toBe(0);
    expect(m.get('backserv_tasks_running{task_type="image_upscale"}')).toBe(0);
    // 3 tasks started (2 completed + 1 failed); run time per final status.
    expect(m.get('backserv_task_wait_seconds_count{task_type="image_upscale"}')).toBe(3);
    expect(m.get('backserv_task_run_seconds_count{task_type="image_upscale",status="Completed"}')).toBe(2);
    expect(m.get('backserv_task_run_seconds_count{task_type="image_upscale",status="Failed"}')).toBe(1);
    expect(m.get('backserv_model_load_seconds_count{task_type="image_upscale"}')).toBe(2);
    const runSum = m.get('backserv_task_run_seconds_sum{task_type="image_upscale",status="Completed"}')!;
    expect(runSum).toBeGreaterThan(0);
    expect(m.get('backserv_workers')).toBe(1);
    expect(m.get('backserv_worker_busy_ratio')).toBe(0);
    const busy = m.get('backserv_worker_busy_seconds_total')!;
    expect(busy).toBeGreaterThanOrEqual(runSum * 0.9);
    // HTTP: labelled by route pattern, never by the raw ticket id.
    expect(m.get('backserv_http_request_duration_seconds_count{method="POST",route="/submit_task",status="202"}')).toBe(5);
    expect(m.get('backserv_http_request_duration_seconds_count{method="GET",route="/query_task/:ticket_id",status="404"}')).toBe(1);
    expect(m.get('backserv_http_request_duration_seconds_count{method="POST",route="/cancel_task/:ticket_id",status="200"}')).toBe(1);
    expect([...m.keys()].some((k) => k.includes('does-not-exist'))).toBe(false);
    expect(m.has('backserv_process_resident_memory_bytes')).toBe(true);
    svc.scheduler.resume();
  });
});
