/**
 * Results in S3-compatible storage, against a real local S3 server (s3rver on 127.0.0.1):
 * the worker uploads and drops its local copy; /results redirects to a presigned URL that
 * serves the bytes (Range included). Signing itself is checked against AWS's vectors in
 * sigv4.test.ts (s3rver does not verify v4 signatures).
 */
import { mkdtempSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';

interface S3rverServer {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
const S3rver = createRequire(import.meta.url)('s3rver') as new (opts: Record<string, unknown>) => S3rverServer;

let s3: S3rverServer;
let endpoint: string;
let svc: TestService;

beforeAll(async () => {
  s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: mkdtempSync(join(tmpdir(), 'backserv-s3-')), configureBuckets: [{ name: 'backserv' }] });
  const { port } = await s3.run();
  endpoint = `http://127.0.0.1:${port}`;
  svc = await startTestService({
    BACKSERV_S3_ENDPOINT: endpoint,
    BACKSERV_S3_BUCKET: 'backserv',
    BACKSERV_S3_ACCESS_KEY_ID: 'S3RVER',
    BACKSERV_S3_SECRET_ACCESS_KEY: 'S3RVER',
    BACKSERV_S3_PREFIX: 'out/',
  });
});
afterAll(async () => {
  await svc?.close();
  await s3?.close();
});

describe('S3 result storage', () => {
  it('uploads the result, keeps no local copy, and /results redirects to a presigned URL with the bytes', async () => {
    const b64 = readFileSync(join(FIXTURES, 'images', 'lowres_bryan.png')).toString('base64');
    const { body } = await submit(svc.url, 'image_upscale', { image_url: `data:image/png;base64,${b64}`, scale_factor: 2 });
    const done = await waitFor(svc.url, body.ticket_id as string);
    expect(done.status).toBe('Completed');
    const name = `${body.ticket_id as string}.png`;
    expect(existsSync(join(svc.dataDir, 'results', name))).toBe(false);
    expect(readdirSync(join(svc.dataDir, 'results'))).toEqual([]);

    const redirect = await fetch(done.result_info as string, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    const location = redirect.headers.get('location')!;
    expect(location.startsWith(`${endpoint}/backserv/out/${name}?`)).toBe(true);
    expect(new URL(location).searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);

    const res = await fetch(done.result_info as string); // follows the redirect
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    const part = await fetch(location, { headers: { range: 'bytes=0-7' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(bytes.subarray(0, 8));
  });

  it('fails the task with a clear message when the upload is refused', async () => {
    const bad = await startTestService({
      BACKSERV_S3_ENDPOINT: endpoint, BACKSERV_S3_BUCKET: 'no-such-bucket',
      BACKSERV_S3_ACCESS_KEY_ID: 'S3RVER', BACKSERV_S3_SECRET_ACCESS_KEY: 'S3RVER',
    });
    try {
      const b64 = readFileSync(join(FIXTURES, 'images', 'lowres_bryan.png')).toString('base64');
      const { body } = await submit(bad.url, 'image_upscale', { image_url: `data:image/png;base64,${b64}`, scale_factor: 2 });
      const done = await waitFor(bad.url, body.ticket_id as string);
      expect(done.status).toBe('Failed');
      expect(done.error_info).toMatch(/object storage failed: HTTP 404/);
    } finally {
      await bad.close();
    }
  });
});
