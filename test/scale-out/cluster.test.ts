/**
 * One serve node and two worker nodes as real processes over the real Redis: 50 tasks from
 * 3 users; kill -9 of a worker mid-task; every task reaches a final state, none completes
 * twice, the killed worker's task is re-claimed; kill -9 of the serve node loses nothing.
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kill9, startNode, type Child } from '../helpers/child.js';
import { FIXTURES, getJson, startFileServer, submit, waitFor } from '../helpers/http.js';
import { REDIS_URL, dropPrefix, testPrefix } from '../helpers/redis.js';
import { testEnv } from '../helpers/service.js';

const prefix = testPrefix();
const children: Child[] = [];
let files: Awaited<ReturnType<typeof startFileServer>>;
let env: Record<string, string>;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'backserv-images-'));
  cpSync(join(FIXTURES, 'images', 'lowres_bryan.png'), join(dir, 'small.png'));
  await sharp({ create: { width: 384, height: 384, channels: 3, background: { r: 200, g: 30, b: 90 } } }).png().toFile(join(dir, 'big.png'));
  // Long enough (hundreds of tiles) that a worker killed when it starts one is surely mid-task.
  await sharp({ create: { width: 768, height: 768, channels: 3, background: { r: 20, g: 130, b: 90 } } }).png().toFile(join(dir, 'slow.png'));
  files = await startFileServer(dir);
  env = testEnv({
    BACKSERV_REDIS_URL: REDIS_URL,
    BACKSERV_REDIS_PREFIX: prefix,
    BACKSERV_LEASE_MS: '1500',
    BACKSERV_UPSCALE_TILE: '32',
    BACKSERV_UPSCALE_PAD: '4',
  });
});

afterAll(async () => {
  for (const c of children) c.proc.kill('SIGKILL');
  await files?.close();
  const redis = new Redis(REDIS_URL);
  await dropPrefix(redis, prefix);
  await redis.quit();
});

async function node(command: 'serve' | 'worker', name: string): Promise<Child> {
  const c = await startNode(command, { ...env, BACKSERV_SERV_NAME: name });
  children.push(c);
  return c;
}

describe('scale-out over Redis', () => {
  it('runs 50 tasks from 3 users on two workers, survives kill -9 of one, completes each once', async () => {
    const serve = await node('serve', 'serve-1');
    const w1 = await node('worker', 'worker-1');
    const w2 = await node('worker', 'worker-2');
    const ready = await getJson(`${serve.url}/ready`);
    expect(ready.status).toBe(200);
    expect((ready.body.workers as { name: string }[]).map((w) => w.name).sort()).toEqual(['worker-1', 'worker-2']);

    const tickets: { id: string; user: string }[] = [];
    const slow = new Set<string>();
    for (let i = 0; i < 48; i++) {
      const user = i < 24 ? 'alice' : 'bob';
      const image = i % 12 === 0 ? 'slow.png' : i % 6 === 0 ? 'big.png' : 'small.png';
      const r = await submit(serve.url!, 'image_upscale', { image_url: `${files.url}/${image}`, scale_factor: 2 }, user);
      expect(r.status).toBe(202);
      tickets.push({ id: r.body.ticket_id as string, user });
      if (image === 'slow.png') slow.add(r.body.ticket_id as string);
    }
    // carol's first task waits behind at most one task per worker, not behind 48.
    for (let i = 0; i < 2; i++) {
      const r = await submit(serve.url!, 'image_upscale', { image_url: `${files.url}/small.png` }, 'carol');
      tickets.push({ id: r.body.ticket_id as string, user: 'carol' });
    }
    const carol = await getJson(`${serve.url}/query_task/${tickets[48].id}`);
    if (carol.body.status === 'Queueing') expect(carol.body.queue_position).toBeLessThanOrEqual(2 + 2);

    // Kill worker-1 as soon as its log says it started a slow task (polling the API could
    // notice too late, after a short task had already finished).
    let victim: string | null = null;
    for (let i = 0; i < 3000 && !victim; i++) {
      const started = w1.logs.find((l) => l.msg === 'task started' && slow.has(l.ticket_id as string));
      if (started) victim = started.ticket_id as string;
      else await new Promise((r) => setTimeout(r, 10));
    }
    expect(victim).not.toBeNull();
    await kill9(w1);

    const finals = [];
    for (const t of tickets) finals.push(await waitFor(serve.url!, t.id, undefined, 90_000));
    for (const f of finals) expect(f.status).toBe('Completed');
    const v = finals.find((f) => f.ticket_id === victim)!;
    expect(v.serv_name).toBe('worker-2');

    // Each ticket was completed exactly once across both workers' logs.
    const completions = new Map<string, number>();
    for (const c of [w1, w2]) {
      for (const l of c.logs) if (l.msg === 'task completed') completions.set(l.ticket_id as string, (completions.get(l.ticket_id as string) ?? 0) + 1);
    }
    for (const t of tickets) expect(completions.get(t.id), t.id).toBe(1);
    // carol's tasks were not starved behind alice and bob.
    const carolStart = Date.parse(finals[48].started_at as string);
    const startedBefore = finals.slice(0, 48).filter((f) => Date.parse(f.started_at as string) < carolStart).length;
    expect(startedBefore).toBeLessThan(20);
    await kill9(serve);
    await kill9(w2);
  });

  it('kill -9 of a serve node loses no accepted task; cancel reaches the running worker', async () => {
    const serve = await node('serve', 'serve-2');
    const accepted: string[] = [];
    // The first one (the one cancelled while it runs) is slow, so it cannot finish first.
    for (let i = 0; i < 5; i++) accepted.push((await submit(serve.url!, 'image_upscale', { image_url: `${files.url}/${i === 0 ? 'slow' : 'big'}.png` }, 'dave')).body.ticket_id as string);
    await kill9(serve);
    const serve2 = await node('serve', 'serve-3');
    const worker = await node('worker', 'worker-3');
    for (const t of accepted) expect(['Queueing', 'In Progress', 'Completed']).toContain((await getJson(`${serve2.url}/query_task/${t}`)).body.status);
    const running = await waitFor(serve2.url!, accepted[0], (b) => b.status === 'In Progress');
    expect(running.serv_name).toBe('worker-3');
    const cancel = await fetch(`${serve2.url}/cancel_task/${accepted[0]}`, { method: 'POST' });
    expect(cancel.status).toBe(200);
    // The worker logged the stop before confirming it; its stdout may reach us a moment later.
    const logged = () => worker.logs.some((l) => l.msg === 'task cancelled' && l.ticket_id === accepted[0]);
    for (let i = 0; i < 100 && !logged(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(logged()).toBe(true);
    for (const t of accepted.slice(1)) expect((await waitFor(serve2.url!, t, undefined, 60_000)).status).toBe('Completed');
    expect((await getJson(`${serve2.url}/query_task/${accepted[0]}`)).body.status).toBe('Cancelled');
  });
});
