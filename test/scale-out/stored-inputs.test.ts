/**
 * Large data: URIs in scale-out without a shared volume: with BACKSERV_S3_BUCKET set, the serve
 * node streams the payload into object storage and the worker (another process with its own data
 * dir) reads it from there. Real processes, real Redis, a real local S3 server (s3rver).
 */
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kill9, startNode, type Child } from '../helpers/child.js';
import { postJson, waitFor } from '../helpers/http.js';
import { REDIS_URL, dropPrefix, testPrefix } from '../helpers/redis.js';
import { testEnv } from '../helpers/service.js';

interface S3rverServer {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
const S3rver = createRequire(import.meta.url)('s3rver') as new (opts: Record<string, unknown>) => S3rverServer;

const prefix = testPrefix();
const children: Child[] = [];
let s3: S3rverServer;
let s3Dir: string;
let serve: Child;

beforeAll(async () => {
  s3Dir = mkdtempSync(join(tmpdir(), 'backserv-s3-'));
  s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir, configureBuckets: [{ name: 'backserv' }] });
  const { port } = await s3.run();
  // testEnv gives each node its own data dir: nothing is shared but Redis and the bucket.
  const env = (name: string) => ({
    ...testEnv({
      BACKSERV_REDIS_URL: REDIS_URL, BACKSERV_REDIS_PREFIX: prefix,
      BACKSERV_S3_ENDPOINT: `http://127.0.0.1:${port}`, BACKSERV_S3_BUCKET: 'backserv',
      BACKSERV_S3_ACCESS_KEY_ID: 'S3RVER', BACKSERV_S3_SECRET_ACCESS_KEY: 'S3RVER',
    }),
    BACKSERV_SERV_NAME: name,
  });
  children.push(await startNode('worker', env('worker-1')));
  serve = await startNode('serve', env('serve-1'));
  children.push(serve);
}, 60_000);
afterAll(async () => {
  for (const c of children) await kill9(c);
  await s3?.close();
  const redis = new Redis(REDIS_URL);
  await dropPrefix(redis, prefix);
  await redis.quit();
});

describe('stored inputs in scale-out', () => {
  it('a >64 KiB data: URI submitted to a serve node is upscaled by a worker on another data dir, through S3', async () => {
    const raw = Buffer.alloc(150 * 150 * 3);
    for (let i = 0, a = 3; i < raw.length; i++) raw[i] = (a = (Math.imul(a, 1103515245) + 12345) >>> 0) >>> 24;
    const png = await sharp(raw, { raw: { width: 150, height: 150, channels: 3 } }).png().toBuffer();
    const uri = `data:image/png;base64,${png.toString('base64')}`;
    expect(uri.length).toBeGreaterThan(64 * 1024);
    const res = await postJson(`${serve.url!}/submit_task`, { task_type: 'image_upscale', task_params: { image_url: uri, scale_factor: 2 }, user_id: 's3' });
    expect(res.status).toBe(202);
    // The payload is in the bucket under inputs/, as one object of the URI's size (s3rver keeps
    // an object as <key>._S3rver_object next to its metadata).
    const objects = readdirSync(join(s3Dir, 'backserv', 'inputs')).filter((f) => f.endsWith('._S3rver_object'));
    expect(objects).toHaveLength(1);
    expect(statSync(join(s3Dir, 'backserv', 'inputs', objects[0])).size).toBe(uri.length);
    const done = await waitFor(serve.url!, res.body.ticket_id as string, undefined, 60_000);
    expect(done.status, JSON.stringify(done)).toBe('Completed');
    expect(done.result).toMatchObject({ width: 300, height: 300 });
  });
});
