/**
 * Webhooks with two serve nodes (separate processes) sharing Redis: every task's final state is
 * delivered exactly once whichever node accepted it, and when the node delivering a webhook is
 * killed (-9) in the middle of the POST, the other node delivers it once the lease lapses.
 * Delivery state lives in Redis, not in the node that accepted the task.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../src/webhooks/signature.js';
import { kill9, startNode, type Child } from '../helpers/child.js';
import { FIXTURES, postJson, waitFor } from '../helpers/http.js';
import { REDIS_URL, dropPrefix, testPrefix } from '../helpers/redis.js';
import { testEnv } from '../helpers/service.js';

const SECRET = 'whsec-shared-0123456789';
const prefix = testPrefix();
const image = `data:image/png;base64,${readFileSync(join(FIXTURES, 'images', 'lowres_bryan.png')).toString('base64')}`;

interface Hit {
  ticket: string;
  attempt: string;
  from: string;
  body: string;
  signature: string;
  at: number;
}

const hits: Hit[] = [];
/** When set, the next request is left hanging (its sender is killed meanwhile). */
let hangNext = false;
const hanging: ServerResponse[] = [];
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const ticket = String(req.headers['x-backserv-ticket']);
    hits.push({
      ticket, attempt: String(req.headers['x-backserv-attempt']), from: String(req.headers['user-agent']),
      body: Buffer.concat(chunks).toString('utf8'), signature: String(req.headers['x-backserv-signature']), at: Date.now(),
    });
    if (hangNext) {
      hangNext = false;
      hanging.push(res);
      return;
    }
    res.writeHead(200);
    res.end();
  });
});
const hookUrl = () => `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

const serves = new Map<string, Child>();
const children: Child[] = [];
// A short POST timeout makes the lease (timeout + 5 s) of a killed sender lapse quickly.
const env = testEnv({
  BACKSERV_REDIS_URL: REDIS_URL, BACKSERV_REDIS_PREFIX: prefix, BACKSERV_WEBHOOK_SECRET: SECRET,
  BACKSERV_WEBHOOK_TIMEOUT_MS: '1000', BACKSERV_WEBHOOK_POLL_MS: '200',
});

beforeAll(async () => {
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  // Each node gets its own data dir, as on separate hosts: only Redis is shared.
  const own = (name: string) => ({ ...env, BACKSERV_SERV_NAME: name, BACKSERV_DATA_DIR: mkdtempSync(join(tmpdir(), `backserv-${name}-`)) });
  const started = await Promise.all([startNode('serve', own('serve-a')), startNode('serve', own('serve-b')), startNode('worker', own('worker-1'))]);
  children.push(...started);
  serves.set('serve-a', started[0]);
  serves.set('serve-b', started[1]);
}, 60_000);
afterAll(async () => {
  for (const c of children) await kill9(c);
  for (const res of hanging) res.destroy();
  receiver.closeAllConnections();
  await new Promise((r) => receiver.close(r));
  const redis = new Redis(REDIS_URL);
  await dropPrefix(redis, prefix);
  await redis.quit();
});

async function until(f: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!f()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const submit = (node: Child, user: string) =>
  postJson(`${node.url}/submit_task`, { task_type: 'image_upscale', task_params: { image_url: image, scale_factor: 2 }, user_id: user, callback_url: hookUrl() });

describe('webhooks across serve nodes', () => {
  it('delivers each final state exactly once, whichever node accepted the task', async () => {
    const nodes = [...serves.values()];
    const tickets: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await submit(nodes[i % 2], 'shared-hooks');
      expect(res.status).toBe(202);
      tickets.push(res.body.ticket_id as string);
    }
    for (const t of tickets) expect((await waitFor(nodes[0].url!, t)).status).toBe('Completed');
    await until(() => tickets.every((t) => hits.some((h) => h.ticket === t)));
    await new Promise((r) => setTimeout(r, 1000)); // time for any duplicate to arrive
    const mine = hits.filter((h) => tickets.includes(h.ticket));
    expect(mine.map((h) => h.ticket).sort()).toEqual([...tickets].sort());
    for (const h of mine) {
      expect(h.attempt).toBe('1');
      expect(h.from).toMatch(/^Back\.Serv webhooks \(serve-[ab]\)$/);
      expect(verifySignature(SECRET, h.signature, h.body)).toBe(true);
      expect(JSON.parse(h.body)).toMatchObject({ ticket_id: h.ticket, status: 'Completed' });
    }
  }, 60_000);

  it('kill -9 of the node in the middle of a delivery: the other node delivers it after the lease lapses', async () => {
    hangNext = true;
    const res = await submit(serves.get('serve-a')!, 'orphaned-hook');
    const ticket = res.body.ticket_id as string;
    await until(() => hits.some((h) => h.ticket === ticket));
    const first = hits.find((h) => h.ticket === ticket)!;
    expect(hangNext).toBe(false); // it was this request that was held
    const sender = /\((serve-[ab])\)/.exec(first.from)![1];
    const survivor = sender === 'serve-a' ? 'serve-b' : 'serve-a';
    await kill9(serves.get(sender)!);
    await until(() => hits.filter((h) => h.ticket === ticket).length >= 2, 20_000);
    const second = hits.filter((h) => h.ticket === ticket)[1];
    expect(second.from).toBe(`Back.Serv webhooks (${survivor})`);
    // The dead node never recorded its attempt, so this is attempt 1 again: at-least-once.
    expect(second.attempt).toBe('1');
    expect(second.at - first.at).toBeGreaterThanOrEqual(5000); // not before the lease (1 s + 5 s) lapsed
    expect(JSON.parse(second.body)).toMatchObject({ ticket_id: ticket, status: 'Completed' });
    expect((await waitFor(serves.get(survivor)!.url!, ticket)).status).toBe('Completed');
  }, 60_000);
});
