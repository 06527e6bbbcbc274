/**
 * `http`: submit and query throughput and latency under autocannon, next to a bare Koa route
 * doing the same JSON parse in the same process; then query latency and event-loop lag while
 * workers are busy with inference (must stay low: inference is off the main thread); then what
 * large and half-sent uploads cost (http-uploads.ts: RSS under attack, /health during 24 MiB submits).
 */
import autocannon from 'autocannon';
import Koa from 'koa';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBenchService } from './service-fixture.js';
import type { BenchOptions, BenchRow } from './types.js';
import { runUploadBench } from './http-uploads.js';

const FIXTURE = join(import.meta.dirname, '..', 'test', 'fixtures', 'images', 'lowres_bryan.png');

async function load(url: string, opts: { method?: 'GET' | 'POST'; body?: string; seconds: number }) {
  const r = await autocannon({
    url,
    method: opts.method ?? 'GET',
    body: opts.body,
    headers: { 'content-type': 'application/json' },
    connections: 16,
    duration: opts.seconds,
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

async function bareKoa(): Promise<{ url: string; close(): void }> {
  const app = new Koa();
  app.use(async (ctx) => {
    if (ctx.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const c of ctx.req as AsyncIterable<Buffer>) chunks.push(c);
      JSON.parse(Buffer.concat(chunks).toString());
      ctx.status = 202;
      ctx.body = { ticket_id: 'x', status: 'Queueing' };
    } else {
      ctx.body = { status: 'Queueing', result_info: null };
    }
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

export async function runHttpBench(opts: BenchOptions): Promise<BenchRow[]> {
  const seconds = opts.quick ? 3 : 8;
  const rows: BenchRow[] = [];
  const bare = await bareKoa();
  const svc = await startBenchService({ BACKSERV_WORKERS: '1' });
  svc.scheduler.pause(); // submits queue up; nothing runs while we measure the API alone
  const body = JSON.stringify({ task_type: 'image_upscale', task_params: { image_url: 'https://example.com/a.png' }, user_id: 'bench' });
  try {
    opts.progress('http: submit vs bare Koa');
    const bareSubmit = await load(bare.url, { method: 'POST', body, seconds });
    const submit = await load(`${svc.url}/submit_task`, { method: 'POST', body, seconds });
    if (submit.non2xx || submit.errors) throw new Error(`submit bench had ${submit.non2xx} non-2xx and ${submit.errors} errors`);
    rows.push(
      { part: 'http', name: 'bare koa POST', unit: 'req/s', median: bareSubmit.rps, min: bareSubmit.rps, max: bareSubmit.rps, n: 1 },
      { part: 'http', name: 'submit_task', unit: 'req/s', median: submit.rps, min: submit.rps, max: submit.rps, n: 1, baseline: 'bare koa POST', ratio: submit.rps / bareSubmit.rps },
      { part: 'http', name: 'submit_task p50', unit: 'ms', median: submit.p50, min: submit.p50, max: submit.p50, n: 1 },
      { part: 'http', name: 'submit_task p99', unit: 'ms', median: submit.p99, min: submit.p99, max: submit.p99, n: 1 },
    );
    const ticket = (await (await fetch(`${svc.url}/submit_task`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json() as { ticket_id: string }).ticket_id;
    opts.progress('http: query vs bare Koa');
    const bareQuery = await load(bare.url, { seconds });
    const query = await load(`${svc.url}/query_task/${ticket}`, { seconds });
    rows.push(
      { part: 'http', name: 'bare koa GET', unit: 'req/s', median: bareQuery.rps, min: bareQuery.rps, max: bareQuery.rps, n: 1 },
      { part: 'http', name: 'query_task', unit: 'req/s', median: query.rps, min: query.rps, max: query.rps, n: 1, baseline: 'bare koa GET', ratio: query.rps / bareQuery.rps },
      { part: 'http', name: 'query_task p99 (idle)', unit: 'ms', median: query.p99, min: query.p99, max: query.p99, n: 1 },
    );
  } finally {
    bare.close();
    await svc.close();
  }
  rows.push(...(await busyLag(seconds, opts)));
  rows.push(...(await runUploadBench(opts)));
  return rows;
}

/** Query p99 and event-loop delay with the pool idle, then with every worker upscaling. */
async function busyLag(seconds: number, opts: BenchOptions): Promise<BenchRow[]> {
  const svc = await startBenchService({ BACKSERV_WORKERS: '1' });
  const image = `data:image/png;base64,${readFileSync(FIXTURE).toString('base64')}`;
  const submit = () => fetch(`${svc.url}/submit_task`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ task_type: 'image_upscale', task_params: { image_url: image }, user_id: 'lag' }),
  }).then((r) => r.json() as Promise<{ ticket_id: string }>);
  try {
    const { ticket_id } = await submit();
    await svc.scheduler.whenIdle();
    const measure = async () => {
      const h = monitorEventLoopDelay({ resolution: 1 });
      h.enable();
      const q = await load(`${svc.url}/query_task/${ticket_id}`, { seconds });
      h.disable();
      return { p99: q.p99, lagP99: h.percentile(99) / 1e6 };
    };
    opts.progress('http: event-loop lag, idle');
    const idle = await measure();
    opts.progress('http: event-loop lag, workers busy');
    for (let i = 0; i < 40; i++) await submit(); // keeps the worker busy for the whole window
    const busy = await measure();
    const one = (name: string, unit: string, v: number, baseline?: string, base?: number): BenchRow =>
      ({ part: 'http', name, unit, median: v, min: v, max: v, n: 1, ...(baseline ? { baseline, ratio: v / base! } : {}) });
    return [
      one('event-loop p99 (idle)', 'ms', idle.lagP99),
      one('event-loop p99 (busy)', 'ms', busy.lagP99, 'event-loop p99 (idle)', idle.lagP99),
      one('query p99 (workers busy)', 'ms', busy.p99, 'query_task p99 (idle)', idle.p99),
    ];
  } finally {
    await svc.close();
  }
}
