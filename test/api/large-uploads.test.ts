/**
 * Large data: URIs go to the input store while they arrive, not into memory or the task row:
 * an upscale of a >64 KiB data: URI completes with the same pixels as the same image by URL,
 * its row in SQLite stays small, and the stored input is one file under BACKSERV_DATA_DIR/inputs.
 * Validation stays exact for stand-ins (maxLength, the image pattern), and every refused or
 * replayed submit leaves nothing behind.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startFileServer, submit, waitFor } from '../helpers/http.js';
import { RawClient, submitHead } from '../helpers/raw-http.js';
import { startTestService, type TestService } from '../helpers/service.js';

let svc: TestService;
let files: Awaited<ReturnType<typeof startFileServer>>;
let png: Buffer;
let inputsDir: string;

/** A PNG of seeded noise (does not compress), so its data: URI is well over 64 KiB. */
async function noisePng(side: number, seed: number): Promise<Buffer> {
  const raw = Buffer.alloc(side * side * 3);
  let a = seed;
  for (let i = 0; i < raw.length; i++) {
    a = (Math.imul(a, 1103515245) + 12345) >>> 0;
    raw[i] = a >>> 24;
  }
  return sharp(raw, { raw: { width: side, height: side, channels: 3 } }).png().toBuffer();
}

const dataUri = (bytes: Buffer, scheme = 'data') => `${scheme}:image/png;base64,${bytes.toString('base64')}`;
const stored = () => readdirSync(inputsDir).sort();

/** Waits until the inputs folder holds exactly `names` (deletes run after the answer is sent). */
async function expectStored(names: string[] | number): Promise<string[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const now = stored();
    const ok = typeof names === 'number' ? now.length === names : JSON.stringify(now) === JSON.stringify(names);
    if (ok || Date.now() > deadline) {
      if (typeof names === 'number') expect(now).toHaveLength(names);
      else expect(now).toEqual(names);
      return now;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function pixels(url: string): Promise<Buffer> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return sharp(Buffer.from(await res.arrayBuffer())).raw().toBuffer();
}

beforeAll(async () => {
  svc = await startTestService();
  inputsDir = join(svc.dataDir, 'inputs');
  png = await noisePng(160, 7);
  const dir = mkdtempSync(join(tmpdir(), 'backserv-noise-'));
  writeFileSync(join(dir, 'noise.png'), png);
  files = await startFileServer(dir);
});
afterAll(async () => {
  await svc?.close();
  await files?.close();
});

describe('large data: URIs', () => {
  it('an upscale of a >64 KiB data: URI completes from the input store; the task row stays small', async () => {
    const uri = dataUri(png);
    expect(uri.length).toBeGreaterThan(64 * 1024);
    const res = await submit(svc.url, 'image_upscale', { image_url: uri, scale_factor: 2 });
    expect(res.status).toBe(202);
    const ticket = res.body.ticket_id as string;
    const [file] = await expectStored(1);
    expect(file).toMatch(/^[0-9a-f]{32}$/);

    const db = new Database(join(svc.dataDir, 'backserv.sqlite'), { readonly: true });
    const row = db.prepare('SELECT params, length(params) AS n FROM tasks WHERE ticket_id = ?').get(ticket) as { params: string; n: number };
    db.close();
    expect(row.n).toBeLessThan(200);
    expect(JSON.parse(row.params)).toEqual({ image_url: `backserv-input:${file}`, scale_factor: 2 });

    const done = await waitFor(svc.url, ticket, undefined, 60_000);
    expect(done.status).toBe('Completed');
    expect(done.result).toMatchObject({ width: 320, height: 320 });
    // The same image by URL gives the same pixels: the stored payload decoded to the same bytes.
    const byUrl = await submit(svc.url, 'image_upscale', { image_url: `${files.url}/noise.png`, scale_factor: 2 });
    const other = await waitFor(svc.url, byUrl.body.ticket_id as string, undefined, 60_000);
    expect(other.status).toBe('Completed');
    expect((await pixels(done.result_info as string)).equals(await pixels(other.result_info as string))).toBe(true);
  });

  it('accepts an upper-case DATA: scheme, inline and stored', async () => {
    const small = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#08f' } }).png().toBuffer();
    const before = stored();
    const inline = await submit(svc.url, 'image_upscale', { image_url: dataUri(small, 'DATA') });
    expect(inline.status).toBe(202);
    const big = await submit(svc.url, 'image_upscale', { image_url: dataUri(png, 'DaTa') });
    expect(big.status).toBe(202);
    expect(stored()).toHaveLength(before.length + 1);
  });

  it('validates stand-ins exactly and leaves nothing stored when validation fails', async () => {
    const before = stored();
    const long = 'x'.repeat(70_000);
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ task_type: 'image_creation', task_params: { prompt: long }, user_id: 'v' }, 'invalid_request', /task_params\.prompt must NOT have more than 2000 characters/],
      [{ task_type: 'image_upscale', task_params: { image_url: `ftp://${long}` }, user_id: 'v' }, 'invalid_request', /task_params\.image_url must match pattern/],
      [{ task_type: 'image_upscale', task_params: { image_url: dataUri(png), scale_factor: 9 }, user_id: 'v' }, 'invalid_request', /scale_factor/],
      [{ task_type: 'image_upscale', task_params: { image_url: dataUri(png) }, user_id: long }, 'invalid_request', /user_id must NOT have more than 128 characters/],
      [{ task_type: 'image_upscale', task_params: { image_url: `https://example.com/${long}` }, user_id: 'v' }, 'invalid_image', /task_params\.image_url: is too long for a URL/],
      [{ task_type: 'image_upscale', task_params: { image_url: dataUri(png) }, user_id: 'v', [long]: 1 }, 'invalid_request', /field name/],
      [{ task_type: 'image_upscale', task_params: { image_url: dataUri(png).replace('image/png', 'text/plain') }, user_id: 'v' }, 'invalid_image', /media type "text\/plain"/],
    ];
    for (const [body, code, message] of cases) {
      const res = await postJson(`${svc.url}/submit_task`, body);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error).toBe(code);
      expect(res.body.message).toMatch(message);
      expect(JSON.stringify(res.body)).not.toContain('\\u0000'); // no stand-in marks in messages
    }
    // Invalid JSON after a stored string, and an over-long string escaped as \u sequences.
    const broken = await rawPost(`{"task_type":"image_upscale","task_params":{"image_url":"${dataUri(png)}"},"user_id":"v",}`);
    expect(broken.status).toBe(400);
    expect(JSON.parse(broken.body).error).toBe('invalid_json');
    await expectStored(before);
  });

  it('sniffs the first bytes: a data: URI that is not an image is 400 invalid_image naming the field', async () => {
    const before = stored();
    const text = Buffer.from('this is not an image at all, just some text');
    const inline = await submit(svc.url, 'face_swap', { source_image: dataUri(text), target_image: 'https://example.com/a.png' });
    expect(inline.status).toBe(400);
    expect(inline.body).toMatchObject({ error: 'invalid_image' });
    expect(inline.body.message).toMatch(/^task_params\.source_image: is not a PNG, JPEG, WebP, GIF, TIFF or AVIF\/HEIF image/);
    const noise = Buffer.alloc(100_000, 0x41);
    const big = await submit(svc.url, 'image_upscale', { image_url: dataUri(noise) });
    expect(big.status).toBe(400);
    expect(big.body.message).toMatch(/^task_params\.image_url: is not a PNG/);
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#f80' } }).jpeg().toBuffer();
    const ok = await submit(svc.url, 'image_upscale', { image_url: `data:image/jpeg;base64,${jpeg.toString('base64')}` });
    expect(ok.status).toBe(202);
    await expectStored(before);
  });

  it('an Idempotency-Key replay with the same large body keeps one stored input; a different body is 409', async () => {
    const before = stored();
    const body = { task_type: 'image_upscale', task_params: { image_url: dataUri(png), scale_factor: 3 }, user_id: 'idem' };
    const post = (b: unknown) => fetch(`${svc.url}/submit_task`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'big-1' }, body: JSON.stringify(b),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown>, replayed: r.headers.get('idempotent-replayed') }));
    const first = await post(body);
    expect(first.status).toBe(202);
    // Same request, fields in another order and the long string escaped differently.
    const reordered = `{"user_id":"idem","task_params":{"scale_factor":3,"image_url":"${dataUri(png).replace(/\//g, '\\/')}"},"task_type":"image_upscale"}`;
    const again = await fetch(`${svc.url}/submit_task`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'big-1' }, body: reordered });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as { ticket_id: string }).ticket_id).toBe(first.body.ticket_id);
    const other = await post({ ...body, task_params: { image_url: dataUri(await noisePng(160, 8)), scale_factor: 3 } });
    expect(other.status).toBe(409);
    expect(other.body.error).toBe('idempotency_key_reused');
    await expectStored(before.length + 1);
  });

  it('refuses more than 1 MiB of JSON structure (apart from long strings) with 413', async () => {
    const c = new RawClient(svc.port);
    c.write(submitHead(3 * 1024 * 1024) + '{"task_type":"image_upscale","task_params":{"x":[');
    const piece = '1,'.repeat(32 * 1024);
    for (let sent = 0; sent < 1.5 * 1024 * 1024; sent += piece.length) c.write(piece);
    const a = await c.answer();
    c.destroy();
    expect(a.status).toBe(413);
    expect(JSON.parse(a.body).error).toBe('payload_too_large');
    expect(JSON.parse(a.body).message).toMatch(/apart from strings over 65536 bytes, is over 1048576 bytes/);
  });

  it('the compat APIs read through the same reader: a >64 KiB A1111 extras image is upscaled and nothing stays stored', async () => {
    const before = stored();
    const res = await fetch(`${svc.url}/sdapi/v1/extra-single-image`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ image: png.toString('base64'), upscaling_resize: 2, upscaler_1: 'R-ESRGAN 4x+' }),
    });
    expect(res.status).toBe(200);
    const out = Buffer.from(((await res.json()) as { image: string }).image, 'base64');
    expect(await sharp(out).metadata()).toMatchObject({ width: 320, height: 320 });
    await expectStored(before);
  });

  it('a connection cut in the middle of a large string leaves no file behind', async () => {
    const before = stored();
    const uri = dataUri(await noisePng(400, 9));
    const c = new RawClient(svc.port);
    await c.connected();
    const head = `{"task_type":"image_upscale","task_params":{"image_url":"`;
    c.write(submitHead(head.length + uri.length + 100));
    c.write(head + uri.slice(0, 300_000));
    // Wait until the upload is being written, then cut it.
    const deadline = Date.now() + 5_000;
    while (readdirSync(inputsDir).filter((f) => f.endsWith('.tmp')).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(readdirSync(inputsDir).some((f) => f.endsWith('.tmp'))).toBe(true);
    c.destroy();
    await expectStored(before);
  });
});

function rawPost(text: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${svc.url}/submit_task`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(text);
  });
}
