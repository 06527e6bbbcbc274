/**
 * kill -9 of the server process with queued and running tasks: after a restart on the same
 * data dir every accepted ticket is still there and each reaches a final status.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, getJson, startFileServer, submit, waitFor } from '../helpers/http.js';
import { testEnv } from '../helpers/service.js';

const ROOT = join(import.meta.dirname, '..', '..');
let files: Awaited<ReturnType<typeof startFileServer>>;
const children: ChildProcess[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'backserv-images-'));
  cpSync(join(FIXTURES, 'images', 'lowres_bryan.png'), join(dir, 'small.png'));
  await sharp({ create: { width: 640, height: 640, channels: 3, background: { r: 10, g: 200, b: 60 } } }).png().toFile(join(dir, 'big.png'));
  files = await startFileServer(dir);
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await files?.close();
});

/** Starts `src/main.ts` in a child process; resolves with its URL once it listens. */
function startChild(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...env, BACKSERV_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"port":(\d+)/.exec(out);
      if (m && out.includes('listening')) {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${m[1]}` });
      }
    });
    child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

describe('kill -9 of the server', () => {
  it('loses no accepted task: queued stay queued, the running one is re-queued, all finish', async () => {
    const env = testEnv({ BACKSERV_UPSCALE_TILE: '32', BACKSERV_UPSCALE_PAD: '4' });
    const first = await startChild(env);
    const tickets: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await submit(first.url, 'image_upscale', { image_url: `${files.url}/big.png`, scale_factor: 2 }, `user${i % 2}`);
      expect(r.status).toBe(202);
      tickets.push(r.body.ticket_id as string);
    }
    for (let i = 0; i < 3; i++) tickets.push((await submit(first.url, 'image_upscale', { image_url: `${files.url}/small.png` }, 'user2')).body.ticket_id as string);
    await waitFor(first.url, tickets[0], (b) => b.status === 'In Progress');
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    const second = await startChild(env);
    const states = await Promise.all(tickets.map(async (t) => (await getJson(`${second.url}/query_task/${t}`)).body));
    for (const s of states) expect(['Queueing', 'In Progress']).toContain(s.status);
    const finals = [];
    for (const t of tickets) finals.push(await waitFor(second.url, t, undefined, 60_000));
    for (const f of finals) expect(f.status).toBe('Completed');
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
  });

  it('a task that keeps being interrupted ends Failed after the attempt limit, saying why', async () => {
    const env = testEnv({ BACKSERV_UPSCALE_TILE: '16', BACKSERV_UPSCALE_PAD: '2', BACKSERV_MAX_ATTEMPTS: '2' });
    let srv = await startChild(env);
    const ticket = (await submit(srv.url, 'image_upscale', { image_url: `${files.url}/big.png` })).body.ticket_id as string;
    for (let attempt = 0; attempt < 2; attempt++) {
      await waitFor(srv.url, ticket, (b) => b.status === 'In Progress');
      srv.child.kill('SIGKILL');
      await new Promise((r) => srv.child.once('exit', r));
      srv = await startChild(env);
    }
    const done = await waitFor(srv.url, ticket);
    expect(done.status).toBe('Failed');
    expect(done.error_info).toMatch(/interrupted/i);
    srv.child.kill('SIGKILL');
  });
});
