/**
 * A Redis restart under a running node: while Redis is away /ready says 503 and submits get
 * 503 store_unavailable (not 500), with or without an Idempotency-Key; afterwards the node reconnects by itself, and a task
 * accepted before the outage completes (Redis runs with AOF appendfsync always, as the README
 * tells operators to configure it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kill9, startNode, type Child } from '../helpers/child.js';
import { FIXTURES, getJson, startFileServer, submit, waitFor } from '../helpers/http.js';
import { testEnv } from '../helpers/service.js';

let redisDir: string;
let port: number;
let redis: ChildProcess | null = null;
let files: Awaited<ReturnType<typeof startFileServer>>;
const children: Child[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function startRedis(): Promise<void> {
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', redisDir,
    '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = createServer();
      sock.once('error', () => resolve(true)); // port taken → server is up
      sock.listen(port, '127.0.0.1', () => sock.close(() => resolve(false)));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start');
}

async function stopRedis(): Promise<void> {
  if (!redis) return;
  const r = redis;
  redis = null;
  r.kill('SIGKILL');
  await new Promise((res) => r.once('exit', res));
}

beforeAll(async () => {
  redisDir = mkdtempSync(join(tmpdir(), 'backserv-redis-'));
  port = await freePort();
  await startRedis();
  const dir = mkdtempSync(join(tmpdir(), 'backserv-images-'));
  cpSync(join(FIXTURES, 'images', 'lowres_bryan.png'), join(dir, 'small.png'));
  files = await startFileServer(dir);
});

afterAll(async () => {
  for (const c of children) c.proc.kill('SIGKILL');
  await stopRedis();
  await files?.close();
});

describe('Redis outage', () => {
  it('answers 503 while Redis is down, reconnects, and loses no accepted task', async () => {
    // The rate limit and Idempotency-Key live in Redis too: they must answer 503 as well, not 500.
    const env = testEnv({ BACKSERV_REDIS_URL: `redis://127.0.0.1:${port}`, BACKSERV_REDIS_PREFIX: 'outage:', BACKSERV_LEASE_MS: '2000', BACKSERV_RATE_LIMIT_PER_MIN: '1000' });
    const node = await startNode('start', env);
    children.push(node);
    expect((await getJson(`${node.url}/ready`)).status).toBe(200);

    await stopRedis();
    await new Promise((r) => setTimeout(r, 300));
    const ready = await getJson(`${node.url}/ready`);
    expect(ready.status).toBe(503);
    const refused = await submit(node.url!, 'image_upscale', { image_url: `${files.url}/small.png` });
    expect(refused.status).toBe(503);
    expect(refused.body.error).toBe('store_unavailable');
    const keyed = await fetch(`${node.url}/submit_task`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'outage-1' },
      body: JSON.stringify({ task_type: 'image_upscale', task_params: { image_url: `${files.url}/small.png` }, user_id: 'tester' }),
    });
    expect(keyed.status).toBe(503);
    expect(((await keyed.json()) as { error: string }).error).toBe('store_unavailable');

    await startRedis();
    let back = 0;
    for (let i = 0; i < 100 && back !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      back = (await getJson(`${node.url}/ready`)).status;
    }
    expect(back).toBe(200);

    // Accept a task, crash Redis right after (AOF fsync always), bring it back: the task completes
    // (queued or mid-run when Redis went away: either way it must not be lost).
    const accepted = await submit(node.url!, 'image_upscale', { image_url: `${files.url}/small.png` });
    expect(accepted.status).toBe(202);
    await stopRedis();
    await startRedis();
    const done = await waitFor(node.url!, accepted.body.ticket_id as string, undefined, 30_000);
    expect(['Completed']).toContain(done.status);
    await kill9(node);
  });
});
