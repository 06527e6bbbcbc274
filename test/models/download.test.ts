import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { downloadFile, DownloadError, type DownloadProgress } from '../../src/models/download/download-file.js';
import { formatProgress } from '../../src/models/download/progress.js';

const SIZE = 3 * 1024 * 1024 + 123;
const payload = Buffer.alloc(SIZE);
for (let i = 0; i < SIZE; i++) payload[i] = (i * 2654435761) >>> 24;
const digest = createHash('sha256').update(payload).digest('hex');

let server: Server;
let base = '';
let dir = '';
const requests: { path: string; range: string | undefined }[] = [];
/** Paths whose first response is cut after this many bytes. */
const cutOnce = new Map<string, number>();

function handle(req: IncomingMessage, res: import('node:http').ServerResponse): void {
  const path = req.url ?? '/';
  requests.push({ path, range: req.headers.range });
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const start = m ? Number(m[1]) : 0;
  if (start >= SIZE) {
    res.writeHead(416, { 'Content-Range': `bytes */${SIZE}` }).end();
    return;
  }
  const body = payload.subarray(start);
  const headers = { 'Content-Length': String(body.length), 'Accept-Ranges': 'bytes' };
  if (m) res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${SIZE - 1}/${SIZE}` });
  else res.writeHead(200, headers);
  const cut = cutOnce.get(path);
  if (cut !== undefined) {
    cutOnce.delete(path);
    res.write(body.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 20));
    return;
  }
  res.end(body);
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  requests.length = 0;
  cutOnce.clear();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = mkdtempSync(join(tmpdir(), 'backserv-dl-'));
});

describe('downloadFile', () => {
  it('downloads with progress, verifies sha256 and renames into place', async () => {
    const seen: DownloadProgress[] = [];
    const dest = join(dir, 'a', 'model.onnx');
    const got = await downloadFile({ url: `${base}/f1`, dest, sha256: digest, size: SIZE, onProgress: (p) => seen.push(p), progressIntervalMs: 0 });
    expect(got).toBe(digest);
    expect(readFileSync(dest).equals(payload)).toBe(true);
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)?.received).toBe(SIZE);
    expect(seen.every((p, i) => i === 0 || p.received >= seen[i - 1].received)).toBe(true);
    const mid = seen.find((p) => p.received < SIZE && p.bytesPerSecond > 0);
    expect(mid?.total).toBe(SIZE);
    const line = formatProgress('sd-turbo unet/model.onnx', mid!);
    expect(line).toMatch(/\[#*\.*\] +\d+%  [\d.]+ [KM]?B \/ 3\.1 MB  [\d.]+ [KMG]?B\/s  ETA \d/);
  });

  it('resumes with a Range request after the connection is cut mid-transfer', async () => {
    cutOnce.set('/f2', 1_000_000);
    const dest = join(dir, 'model.onnx');
    await downloadFile({ url: `${base}/f2`, dest, sha256: digest, size: SIZE });
    expect(readFileSync(dest).equals(payload)).toBe(true);
    expect(requests.length).toBe(2);
    expect(requests[0].range).toBeUndefined();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(requests[1].range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(1_000_000);
  });

  it('keeps the part after a failed run and resumes it on the next run', async () => {
    cutOnce.set('/f3', 700_000);
    const dest = join(dir, 'model.onnx');
    const first = downloadFile({ url: `${base}/f3`, dest, sha256: digest, size: SIZE, retries: 0 });
    await expect(first).rejects.toMatchObject({ code: 'interrupted' });
    await expect(first).rejects.toThrow(/run the command again to resume/);
    expect(existsSync(dest)).toBe(false);
    const partSize = readFileSync(`${dest}.part`).length;
    expect(partSize).toBeGreaterThan(0);
    await downloadFile({ url: `${base}/f3`, dest, sha256: digest, size: SIZE });
    expect(readFileSync(dest).equals(payload)).toBe(true);
    expect(requests.at(-1)?.range).toBe(`bytes=${partSize}-`);
  });

  it('a complete part left from before is checked (416) and renamed without re-downloading', async () => {
    const dest = join(dir, 'model.onnx');
    writeFileSync(`${dest}.part`, payload);
    await downloadFile({ url: `${base}/f4`, dest, sha256: digest, size: SIZE });
    expect(readFileSync(dest).equals(payload)).toBe(true);
    expect(requests).toEqual([{ path: '/f4', range: `bytes=${SIZE}-` }]);
  });

  it('refuses a checksum mismatch and leaves nothing in place', async () => {
    const dest = join(dir, 'model.onnx');
    const wrong = 'f'.repeat(64);
    const p = downloadFile({ url: `${base}/f5`, dest, sha256: wrong, size: SIZE });
    await expect(p).rejects.toBeInstanceOf(DownloadError);
    await expect(p).rejects.toMatchObject({ code: 'checksum' });
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('offline: one line saying how to place the file by hand', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const dest = join(dir, 'sub', 'model.onnx');
    const err = await downloadFile({ url: `http://127.0.0.1:${port}/x.onnx`, dest, sha256: digest, size: SIZE }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as DownloadError).reason).toBe(`cannot reach 127.0.0.1:${port} (ECONNREFUSED)`);
    // Nothing was received, so no folder was made for it.
    expect(existsSync(join(dir, 'sub'))).toBe(false);
    const msg = (err as Error).message;
    expect(msg).not.toContain('\n');
    expect(msg).toContain('ECONNREFUSED');
    expect(msg).toContain(`place the file by hand: fetch http://127.0.0.1:${port}/x.onnx on a connected machine and copy it to ${dest} (sha256 ${digest})`);
  });
});
