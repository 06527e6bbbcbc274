/**
 * SIGTERM drains: no new claims, running tasks get BACKSERV_DRAIN_TIMEOUT_MS, whatever still
 * runs is re-queued without counting an attempt, and the process exits 0. After a restart on the
 * same data dir the task runs again and completes.
 */
import Database from 'better-sqlite3';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type Child } from '../helpers/child.js';
import { FIXTURES, startFileServer, submit, waitFor } from '../helpers/http.js';
import { testEnv } from '../helpers/service.js';

let files: Awaited<ReturnType<typeof startFileServer>>;
const children: Child[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'backserv-drain-images-'));
  cpSync(join(FIXTURES, 'images', 'lowres_bryan.png'), join(dir, 'small.png'));
  await sharp({ create: { width: 640, height: 640, channels: 3, background: { r: 10, g: 200, b: 60 } } }).png().toFile(join(dir, 'big.png'));
  files = await startFileServer(dir);
});
afterAll(async () => {
  for (const c of children) c.proc.kill('SIGKILL');
  await files?.close();
});

function row(dataDir: string, ticket: string): { status: string; attempts: number; error_code: string | null } {
  const db = new Database(join(dataDir, 'backserv.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT status, attempts, error_code FROM tasks WHERE ticket_id = ?').get(ticket) as { status: string; attempts: number; error_code: string | null };
  } finally {
    db.close();
  }
}

describe('SIGTERM', () => {
  it('re-queues a task still running when the drain time is up, exits 0, and the task completes after a restart', async () => {
    // 16-px tiles make a 640² upscale 1,600 model runs, seconds even on a fast machine (32-px tiles,
    // 400 runs, sometimes finished within the 300 ms drain): it is still running when the drain ends.
    const env = testEnv({ BACKSERV_UPSCALE_TILE: '16', BACKSERV_UPSCALE_PAD: '4', BACKSERV_DRAIN_TIMEOUT_MS: '300' });
    const first = await startNode('start', env);
    children.push(first);
    const { body } = await submit(first.url!, 'image_upscale', { image_url: `${files.url}/big.png`, scale_factor: 2 });
    const ticket = body.ticket_id as string;
    await waitFor(first.url!, ticket, (b) => b.status === 'In Progress' && ((b.progress as { step?: number } | null)?.step ?? 0) >= 1);
    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    // A shutdown is not the task's fault: back in the queue, its attempt given back.
    expect(row(env.BACKSERV_DATA_DIR, ticket)).toEqual({ status: 'Queueing', attempts: 0, error_code: null });

    const second = await startNode('start', { ...env, BACKSERV_UPSCALE_TILE: '256' });
    children.push(second);
    const done = await waitFor(second.url!, ticket, undefined, 60_000);
    expect(done.status).toBe('Completed');
    expect(row(env.BACKSERV_DATA_DIR, ticket).attempts).toBe(1);
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('lets a task that finishes within the drain time complete before exiting', async () => {
    const env = testEnv({ BACKSERV_DRAIN_TIMEOUT_MS: '30000' });
    const node = await startNode('start', env);
    children.push(node);
    const { body } = await submit(node.url!, 'image_upscale', { image_url: `${files.url}/small.png`, scale_factor: 2 });
    const ticket = body.ticket_id as string;
    await waitFor(node.url!, ticket, (b) => b.status !== 'Queueing');
    node.proc.kill('SIGTERM');
    expect(await node.exited).toBe(0);
    expect(row(env.BACKSERV_DATA_DIR, ticket)).toMatchObject({ status: 'Completed', attempts: 1 });
  });
});
