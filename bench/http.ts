/**
 * `http`: submit and query throughput and latency under autocannon, next to bare Koa routes
 * doing the same JSON work in the same process (submit: parse the body; query: read the task's
 * row from SQLite and serialise it); then query latency and event-loop lag while
 * workers are busy with inference (must stay low: inference is off the main thread); then what
 * large and half-sent uploads cost (http-uploads.ts: RSS under attack, /health during 24 MiB submits).
 */
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import Koa from 'koa';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBenchService } from './service-fixture.js';
import { summarize } from './stats.js';
import type { BenchOptions, BenchRow } from './types.js';
import { runUploadBench } from './http-uploads.js';

const FIXTURE = join(import.meta.dirname, '..', 'test', 'fixtures', 'images', 'lowres_bryan.png');

interface Load { rps: number; p50: number; p99: number; non2xx: number; errors: number }

async function load(url: string, opts: { method?: 'GET' | 'POST'; body?: string; seconds: number }): Promise<Load> {
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

/**
 * Bare Koa: no router, middleware, auth, metrics or logging. POST parses the JSON body (submit's
 * JSON work). GET /row/<ticket> reads that task's row from `dbFile` (the measured service's own
 * SQLite file, WAL mode, through a connection of its own) with a prepared statement and returns it
 * as JSON: the least any server keeping its tasks in SQLite does for a query, one indexed row read
 * and its serialisation. GET /const returns a fixed two-field object (the baseline before the
 * row read was added, still reported beside it: no storage, and a smaller body than any answer).
 */
async function bareKoa(dbFile: string): Promise<{ url: string; close(): void }> {
  const db = new Database(dbFile, { fileMustExist: true });
  const row = db.prepare('SELECT * FROM tasks WHERE ticket_id = ?');
  const app = new Koa();
  app.use(async (ctx) => {
    if (ctx.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const c of ctx.req as AsyncIterable<Buffer>) chunks.push(c);
      JSON.parse(Buffer.concat(chunks).toString());
      ctx.status = 202;
      ctx.body = { ticket_id: 'x', status: 'Queueing' };
    } else if (ctx.path.startsWith('/row/')) {
      ctx.body = row.get(ctx.path.slice(5));
    } else {
      ctx.body = { status: 'Queueing', result_info: null };
    }
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.close();
      db.close();
    },
  };
}

/** A row over repeated windows; the ratio is the median of per-window ratios (adjacent windows share the machine's load). */
function row(name: string, unit: string, xs: number[], baseline?: { name: string; xs: number[] }): BenchRow {
  return {
    part: 'http', name, unit, ...summarize(xs),
    ...(baseline ? { baseline: baseline.name, ratio: summarize(xs.map((x, i) => x / baseline.xs[i])).median } : {}),
  };
}

export async function runHttpBench(opts: BenchOptions): Promise<BenchRow[]> {
  // Several shorter windows, alternating with the baseline, instead of one long one: median, min and max then mean something.
  const seconds = opts.quick ? 2 : 4;
  const reps = opts.quick ? 2 : 3;
  const rows: BenchRow[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'backserv-bench-data-'));
  const svc = await startBenchService({ BACKSERV_WORKERS: '1', BACKSERV_DATA_DIR: dataDir });
  const bare = await bareKoa(join(dataDir, 'backserv.sqlite'));
  svc.scheduler.pause(); // submits queue up; nothing runs while we measure the API alone
  // The same with an fsync per commit (power-loss durable), where group commit matters most.
  const full = await startBenchService({ BACKSERV_WORKERS: '1', BACKSERV_SQLITE_SYNC: 'full' });
  full.scheduler.pause();
  const body = JSON.stringify({ task_type: 'image_upscale', task_params: { image_url: 'https://example.com/a.png' }, user_id: 'bench' });
  try {
    const s = { bare: [] as Load[], submit: [] as Load[], full: [] as Load[] };
    for (let r = 0; r < reps; r++) {
      opts.progress(`http: submit vs bare Koa (${r + 1}/${reps})`);
      s.bare.push(await load(bare.url, { method: 'POST', body, seconds }));
      const submit = await load(`${svc.url}/submit_task`, { method: 'POST', body, seconds });
      // Every answer must be a 202: each one is a task committed to SQLite before it was sent.
      if (submit.non2xx || submit.errors) throw new Error(`submit bench had ${submit.non2xx} non-2xx and ${submit.errors} errors`);
      s.submit.push(submit);
      const synced = await load(`${full.url}/submit_task`, { method: 'POST', body, seconds });
      if (synced.non2xx || synced.errors) throw new Error(`submit (sync full) bench had ${synced.non2xx} non-2xx and ${synced.errors} errors`);
      s.full.push(synced);
    }
    const bareRps = s.bare.map((x) => x.rps);
    rows.push(
      row('bare koa POST', 'req/s', bareRps),
      row('submit_task', 'req/s', s.submit.map((x) => x.rps), { name: 'bare koa POST', xs: bareRps }),
      row('submit_task p50', 'ms', s.submit.map((x) => x.p50)),
      row('submit_task p99', 'ms', s.submit.map((x) => x.p99)),
      row('submit_task (BACKSERV_SQLITE_SYNC=full)', 'req/s', s.full.map((x) => x.rps), { name: 'bare koa POST', xs: bareRps }),
    );
    const ticket = (await (await fetch(`${svc.url}/submit_task`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json() as { ticket_id: string }).ticket_id;
    const q = { bare: [] as Load[], constant: [] as Load[], query: [] as Load[] };
    for (let r = 0; r < reps; r++) {
      opts.progress(`http: query vs bare Koa (${r + 1}/${reps})`);
      const bareRow = await load(`${bare.url}/row/${ticket}`, { seconds });
      if (bareRow.non2xx || bareRow.errors) throw new Error(`bare koa GET had ${bareRow.non2xx} non-2xx and ${bareRow.errors} errors`);
      q.bare.push(bareRow);
      q.constant.push(await load(`${bare.url}/const`, { seconds }));
      q.query.push(await load(`${svc.url}/query_task/${ticket}`, { seconds }));
    }
    const bareQ = q.bare.map((x) => x.rps);
    const constQ = q.constant.map((x) => x.rps);
    const queryQ = q.query.map((x) => x.rps);
    rows.push(
      row('bare koa GET (SQLite row)', 'req/s', bareQ),
      row('bare koa GET (constant body)', 'req/s', constQ),
      row('query_task', 'req/s', queryQ, { name: 'bare koa GET (SQLite row)', xs: bareQ }),
      row('query_task (vs constant body)', 'req/s', queryQ, { name: 'bare koa GET (constant body)', xs: constQ }),
      row('query_task p99 (idle)', 'ms', q.query.map((x) => x.p99)),
    );
  } finally {
    bare.close();
    await svc.close();
    await full.close();
  }
  rows.push(...(await busyLag(seconds, reps, opts)));
  rows.push(...(await runUploadBench(opts)));
  return rows;
}

/** Query p99 and event-loop delay with the pool idle, then with every worker upscaling, alternately `reps` times. */
async function busyLag(seconds: number, reps: number, opts: BenchOptions): Promise<BenchRow[]> {
  const svc = await startBenchService({ BACKSERV_WORKERS: '1' });
  const image = `data:image/png;base64,${readFileSync(FIXTURE).toString('base64')}`;
  const submit = () => fetch(`${svc.url}/submit_task`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ task_type: 'image_upscale', task_params: { image_url: image }, user_id: 'lag' }),
  }).then((r) => r.json() as Promise<{ ticket_id: string }>);
  try {
    const { ticket_id } = await submit();
    const measure = async () => {
      const h = monitorEventLoopDelay({ resolution: 1 });
      h.enable();
      const q = await load(`${svc.url}/query_task/${ticket_id}`, { seconds });
      h.disable();
      return { p99: q.p99, lagP99: h.percentile(99) / 1e6 };
    };
    const idle: { p99: number; lagP99: number }[] = [];
    const busy: { p99: number; lagP99: number }[] = [];
    for (let r = 0; r < reps; r++) {
      await svc.scheduler.whenIdle();
      opts.progress(`http: event-loop lag, idle (${r + 1}/${reps})`);
      idle.push(await measure());
      opts.progress(`http: event-loop lag, workers busy (${r + 1}/${reps})`);
      for (let i = 0; i < 40; i++) await submit(); // keeps the worker busy for the whole window
      busy.push(await measure());
      await svc.scheduler.whenIdle();
    }
    const lagIdle = idle.map((x) => x.lagP99);
    const qIdle = idle.map((x) => x.p99);
    return [
      row('event-loop p99 (idle)', 'ms', lagIdle),
      row('event-loop p99 (busy)', 'ms', busy.map((x) => x.lagP99), { name: 'event-loop p99 (idle)', xs: lagIdle }),
      row('query p99 (idle, same windows)', 'ms', qIdle),
      row('query p99 (workers busy)', 'ms', busy.map((x) => x.p99), { name: 'query p99 (idle, same windows)', xs: qIdle }),
    ];
  } finally {
    await svc.close();
  }
}
