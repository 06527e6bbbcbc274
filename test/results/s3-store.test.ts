/**
 * Results in S3-compatible storage, against a real local S3 server (s3rver on 127.0.0.1):
 * the worker uploads and drops its local copy; /results redirects to a presigned URL that
 * serves the bytes (Range included). Signing itself is checked against AWS's vectors in
 * sigv4.test.ts (s3rver does not verify v4 signatures).
 */
import { mkdtempSync, readFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { silentLogger } from '../../src/infra/logging.js';
import { S3ResultStore } from '../../src/results/s3-store.js';
import { sweepResults } from '../../src/retention/sweep-results.js';

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

  it('removes a result (signed DELETE, local copy too), lists what is kept, and removing again is harmless', async () => {
    const localDir = mkdtempSync(join(tmpdir(), 'backserv-s3-local-'));
    const store = new S3ResultStore({
      endpoint, bucket: 'backserv', prefix: 'rm/', inputsPrefix: 'rm-inputs/', urlTtlS: 60,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', region: 'us-east-1' },
    }, localDir);
    const names = ['a.png', 'b.png', 'c.png'];
    for (const [i, n] of names.entries()) {
      writeFileSync(join(localDir, n), Buffer.alloc(100 * (i + 1), i));
      await store.publish(n, 'image/png');
    }
    const listed = async () => {
      const out: { name: string; bytes: number }[] = [];
      for await (const r of store.list()) {
        expect(Math.abs(r.modifiedMs - Date.now())).toBeLessThan(10 * 60_000);
        out.push({ name: r.name, bytes: r.bytes });
      }
      return out.sort((x, y) => x.name.localeCompare(y.name));
    };
    expect(await listed()).toEqual([{ name: 'a.png', bytes: 100 }, { name: 'b.png', bytes: 200 }, { name: 'c.png', bytes: 300 }]);
    const url = (store.locate('a.png') as { url: string }).url;
    expect((await fetch(url)).status).toBe(200);

    await store.remove('a.png');
    expect((await fetch((store.locate('a.png') as { url: string }).url)).status).toBe(404);
    await store.remove('a.png'); // already gone: not an error
    // A result not yet uploaded exists only as the local copy; remove deletes that too.
    writeFileSync(join(localDir, 'd.png'), 'x');
    await store.remove('d.png');
    expect(existsSync(join(localDir, 'd.png'))).toBe(false);
    expect(await listed()).toEqual([{ name: 'b.png', bytes: 200 }, { name: 'c.png', bytes: 300 }]);

    // Retention over the bucket: everything is "old" an hour from now, so a 1 s TTL takes it all.
    const swept = await sweepResults(store, { ttlMs: 1000, maxBytes: 0 }, Date.now() + 3600_000, silentLogger());
    expect(swept).toMatchObject({ expired: 2, expiredBytes: 500, keptBytes: 0, keptFiles: 0 });
    expect(await listed()).toEqual([]);
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
