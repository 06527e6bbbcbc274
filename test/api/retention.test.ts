/**
 * Retention on the real service, with short limits set through the environment: a result past
 * BACKSERV_RESULT_TTL_S is deleted (its URL 404s, its task record stays); a finished task past
 * BACKSERV_TASK_TTL_S is gone (query_task 404 not_found) with its file and stored input, while a task queued all
 * that time is untouched and still runs; over BACKSERV_RESULTS_MAX_BYTES the oldest result goes
 * first; /metrics reports the bytes and files kept and what was deleted.
 */
import { readdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureImage, getJson, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';

const image = `data:image/png;base64,${readFileSync(fixtureImage('lowres_bryan.png')).toString('base64')}`;
const running: TestService[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.close();
});

async function start(env: Record<string, string>): Promise<TestService> {
  const svc = await startTestService({ BACKSERV_RETENTION_SWEEP_MS: '200', ...env });
  running.push(svc);
  return svc;
}

async function completeOne(svc: TestService): Promise<{ id: string; url: string }> {
  const { body } = await submit(svc.url, 'image_upscale', { image_url: image, scale_factor: 2 });
  const done = await waitFor(svc.url, body.ticket_id as string);
  expect(done.status).toBe('Completed');
  return { id: body.ticket_id as string, url: done.result_info as string };
}

/** Polls `check` until it returns true; fails after `ms`. */
async function until(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function metrics(svc: TestService): Promise<Map<string, number>> {
  const text = await (await fetch(`${svc.url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

const status = async (url: string) => {
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.status;
};

describe('retention', () => {
  it('deletes a result past BACKSERV_RESULT_TTL_S: its URL 404s, its task keeps its record', async () => {
    const svc = await start({ BACKSERV_RESULT_TTL_S: '2' });
    const t = await completeOne(svc);
    expect(await status(t.url)).toBe(200);
    await until('the result is deleted', async () => (await status(t.url)) === 404);
    expect(readdirSync(join(svc.dataDir, 'results'))).toEqual([]);
    const q = await getJson(`${svc.url}/query_task/${t.id}`);
    expect(q.status).toBe(200);
    expect(q.body).toMatchObject({ status: 'Completed', result_info: t.url });
    await until('the metrics show the deletion', async () => (await metrics(svc)).get('backserv_results_files') === 0);
    const m = await metrics(svc);
    expect(m.get('backserv_results_deleted_total{reason="result_ttl"}')).toBe(1);
    expect(m.get('backserv_results_bytes')).toBe(0);
    expect(m.get('backserv_tasks_deleted_total')).toBe(0);
  });

  it('deletes a finished task past BACKSERV_TASK_TTL_S with its file and stored input; a queued task is untouched and still runs', async () => {
    const svc = await start({ BACKSERV_TASK_TTL_S: '2' });
    // Noise does not compress: a data: URI over 64 KiB, which the API keeps in the input store.
    const noise = Buffer.from(Array.from({ length: 160 * 160 * 3 }, () => Math.floor(Math.random() * 256)));
    const big = await sharp(noise, { raw: { width: 160, height: 160, channels: 3 } }).png().toBuffer();
    expect(big.length * 4 / 3).toBeGreaterThan(64 * 1024);
    const sub = await submit(svc.url, 'image_upscale', { image_url: `data:image/png;base64,${big.toString('base64')}`, scale_factor: 2 });
    const id = sub.body.ticket_id as string;
    const done = await waitFor(svc.url, id);
    expect(done.status).toBe('Completed');
    const inputsDir = join(svc.dataDir, 'inputs');
    expect(readdirSync(inputsDir)).toHaveLength(1);
    expect(statSync(join(svc.dataDir, 'results', `${id}.png`)).isFile()).toBe(true);
    svc.scheduler.pause();
    const queued = await submit(svc.url, 'image_upscale', { image_url: image, scale_factor: 2 });
    const qid = queued.body.ticket_id as string;

    await until('the finished task is deleted', async () => (await getJson(`${svc.url}/query_task/${id}`)).status === 404);
    const gone = await getJson(`${svc.url}/query_task/${id}`);
    expect(gone.body).toMatchObject({ error: 'not_found' });
    expect(readdirSync(join(svc.dataDir, 'results'))).toEqual([]);
    expect(readdirSync(inputsDir)).toEqual([]);
    expect(await status(done.result_info as string)).toBe(404);

    // Queued for longer than the TTL by now (and swept ~10 times meanwhile): still there.
    await new Promise((r) => setTimeout(r, 2500));
    expect((await getJson(`${svc.url}/query_task/${qid}`)).body).toMatchObject({ status: 'Queueing' });
    svc.scheduler.resume();
    expect((await waitFor(svc.url, qid)).status).toBe('Completed');
    expect((await metrics(svc)).get('backserv_tasks_deleted_total')).toBe(1);
  });

  it('over BACKSERV_RESULTS_MAX_BYTES evicts the oldest results first; /metrics reports what is kept', async () => {
    // Three results made without a cap, then aged (oldest first: a, b, c) and served under one.
    const first = await start({});
    const made = [await completeOne(first), await completeOne(first), await completeOne(first)];
    const dataDir = first.dataDir;
    const dir = join(dataDir, 'results');
    const sizes = made.map((t) => statSync(join(dir, `${t.id}.png`)).size);
    await first.close();
    running.splice(0);
    made.forEach((t, i) => {
      const when = Date.now() / 1000 - (3 - i) * 3600;
      utimesSync(join(dir, `${t.id}.png`), when, when);
    });
    const cap = sizes[1] + sizes[2] + 1;
    const svc = await start({ BACKSERV_DATA_DIR: dataDir, BACKSERV_RESULTS_MAX_BYTES: String(cap) });

    await until('the oldest result is evicted', async () => (await metrics(svc)).get('backserv_results_deleted_total{reason="size_cap"}') === 1);
    expect(readdirSync(dir).sort()).toEqual([`${made[1].id}.png`, `${made[2].id}.png`].sort());
    const urls = made.map((t) => t.url.replace(/^http:\/\/[^/]+/, svc.url));
    expect(await status(urls[0])).toBe(404);
    expect(await status(urls[1])).toBe(200);
    expect(await status(urls[2])).toBe(200);
    const m = await metrics(svc);
    expect(m.get('backserv_results_bytes')).toBe(sizes[1] + sizes[2]);
    expect(m.get('backserv_results_files')).toBe(2);
    expect(m.get('backserv_results_deleted_bytes_total{reason="size_cap"}')).toBe(sizes[0]);
    expect(m.get('backserv_retention_sweeps_total{outcome="failed"}')).toBe(0);
    // The evicted task keeps its record (only the task TTL deletes records).
    expect((await getJson(`${svc.url}/query_task/${made[0].id}`)).body).toMatchObject({ status: 'Completed' });
  });
});
