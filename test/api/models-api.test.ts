/**
 * Models over the API, end to end on the real service: a test manifest (BACKSERV_MODELS_MANIFEST)
 * points model files at an HTTP server on 127.0.0.1 (BACKSERV_MODELS_ALLOW_HTTP=1), and the
 * real ModelInstaller downloads them into an empty models folder. Covers admin-only access,
 * licence acceptance, progress on /events/models/:id, checksum failure leaving no folder, resume
 * with a Range request, 409 for a second install, DELETE, and a model usable without restart.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Ajv } from 'ajv';
import { buildOpenApi } from '../../src/api/openapi.js';
import { PROJECT_MANIFEST_PATH } from '../../src/models/manifest.js';
import { fixtureImage } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { openSse, type SseEvent } from '../helpers/sse.js';

const ADMIN = 'admin-key-0123456789abcdef';
const USER = 'user-key-alice-1';
const admin = { authorization: `Bearer ${ADMIN}` };
const user = { authorization: `Bearer ${USER}` };

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The upscaler test model: a real ONNX file with realesrgan-x4plus's signature. */
const upscaler = readFileSync(join(inject('testModelsDir'), 'realesrgan-x4plus', 'model.onnx'));
const big = randomBytes(256 * 1024);
const licensed = randomBytes(2048);

interface Gate {
  promise: Promise<void>;
  open(): void;
}
function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/** Model file server: /upscaler.onnx pauses halfway until `upscalerGate` opens; /big.onnx cuts connections while `cutting`. */
const fileServer = {
  server: null as Server | null,
  url: '',
  upscalerGate: gate(),
  cutting: true,
  bigRanges: [] as (string | null)[],
};

/** Size of a file now (0 when missing). */
function sizeNow(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Serves `body` from the Range's start; with `cut`, sends `cut.bytes` and closes the connection
 * only once the client has written them to `cut.part`, so the cut never races the client's read.
 */
function sendRange(req: IncomingMessage, res: ServerResponse, body: Buffer, cut: { bytes: number; part: string } | null): void {
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const from = range ? Number(range[1]) : 0;
  if (range) res.writeHead(206, { 'content-length': body.length - from, 'content-range': `bytes ${from}-${body.length - 1}/${body.length}` });
  else res.writeHead(200, { 'content-length': body.length });
  if (cut === null) {
    res.end(body.subarray(from));
    return;
  }
  res.write(body.subarray(from, from + cut.bytes));
  const poll = setInterval(() => {
    if (sizeNow(cut.part) < from + cut.bytes) return;
    clearInterval(poll);
    res.socket?.destroy();
  }, 10);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '';
  if (path === '/upscaler.onnx') {
    const half = Math.floor(upscaler.length / 2);
    res.writeHead(200, { 'content-length': upscaler.length });
    res.write(upscaler.subarray(0, half));
    void fileServer.upscalerGate.promise.then(() => res.end(upscaler.subarray(half)));
  } else if (path === '/big.onnx') {
    fileServer.bigRanges.push(req.headers.range ?? null);
    sendRange(req, res, big, fileServer.cutting ? { bytes: 4096, part: join(modelsDir, 'served-big', 'model.onnx.part') } : null);
  } else if (path === '/licensed.onnx') {
    res.writeHead(200, { 'content-length': licensed.length }).end(licensed);
  } else if (path === '/lowres.png') {
    res.writeHead(200, { 'content-type': 'image/png' }).end(readFileSync(fixtureImage('lowres_bryan.png')));
  } else {
    res.writeHead(404).end();
  }
}

function testManifest(base: string): unknown {
  const manifest = JSON.parse(readFileSync(PROJECT_MANIFEST_PATH, 'utf8')) as {
    models: Record<string, unknown>[];
    tasks: Record<string, unknown>;
  };
  const x4plus = manifest.models.find((m) => m.id === 'realesrgan-x4plus') as { signature: unknown };
  const free = { name: 'test licence', url: 'https://example.com/licence', nonCommercial: false };
  const model = (id: string, file: string, bytes: Buffer, extra: Record<string, unknown> = {}) => ({
    id,
    description: `test model ${id}`,
    taskTypes: ['image_upscale'],
    layout: 'single',
    source: 'download',
    files: [{ path: 'model.onnx', urls: [`${base}/${file}`], size: bytes.length, sha256: sha(bytes) }],
    license: free,
    signature: {},
    ...extra,
  });
  manifest.models.push(
    model('served-upscaler', 'upscaler.onnx', upscaler, { signature: x4plus.signature }),
    // Right size, wrong digest: the install must fail on the checksum.
    model('served-bad-sum', 'licensed.onnx', licensed, { files: [{ path: 'model.onnx', urls: [`${base}/licensed.onnx`], size: licensed.length, sha256: 'ab'.repeat(32) }] }),
    model('served-licensed', 'licensed.onnx', licensed, { license: { ...free, name: 'non-commercial test licence', nonCommercial: true } }),
    model('served-big', 'big.onnx', big),
    model('served-plain-http', 'x.onnx', licensed, { files: [{ path: 'model.onnx', urls: ['http://example.invalid/x.onnx'], size: 1, sha256: null, note: 'never fetched' }] }),
  );
  manifest.tasks.image_upscale = [{ role: 'upscaler', models: ['served-upscaler'] }];
  return manifest;
}

let svc: TestService;
let modelsDir: string;

async function call(method: string, path: string, headers: Record<string, string> = {}, body?: unknown) {
  const res = await fetch(`${svc.url}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

type ModelView = { id: string; installed: boolean; install: { status: string } };
async function listed(id: string): Promise<ModelView> {
  const { status, body } = await call('GET', '/models', user);
  expect(status).toBe(200);
  return (body.models as ModelView[]).find((m) => m.id === id) as ModelView;
}

/** Installs and follows the event stream to the final state. */
async function installAndFollow(id: string, body?: unknown): Promise<{ start: number; events: SseEvent[]; final: Record<string, unknown> }> {
  const start = await call('POST', `/models/${id}/install`, admin, body);
  const sse = await openSse(`${svc.url}/events/models/${id}`, admin);
  expect(sse.status).toBe(200);
  const final = await sse.until((e) => e.id === 'done');
  await sse.closed;
  return { start: start.status, events: sse.events, final: final.data as Record<string, unknown> };
}

beforeAll(async () => {
  const server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fileServer.server = server;
  fileServer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  modelsDir = mkdtempSync(join(tmpdir(), 'backserv-models-api-'));
  const manifestPath = join(mkdtempSync(join(tmpdir(), 'backserv-manifest-')), 'manifest.json');
  writeFileSync(manifestPath, JSON.stringify(testManifest(fileServer.url)));
  svc = await startTestService({
    BACKSERV_MODELS_DIR: modelsDir,
    BACKSERV_MODELS_MANIFEST: manifestPath,
    BACKSERV_MODELS_ALLOW_HTTP: '1',
    BACKSERV_ADMIN_KEYS: ADMIN,
    BACKSERV_API_KEYS: `${USER}:alice`,
  });
});

afterAll(async () => {
  fileServer.upscalerGate.open();
  await svc?.close();
  fileServer.server?.closeAllConnections();
  await new Promise((r) => fileServer.server?.close(r));
});

describe('models over the API', () => {
  it('is admin-only for changes: 401 without a key, 403 with a user key; the list needs a user key when keys are on', async () => {
    expect((await call('POST', '/models/served-licensed/install')).status).toBe(401);
    const asUser = await call('POST', '/models/served-licensed/install', user, { accept_licence: true });
    expect(asUser.status).toBe(403);
    expect(asUser.body.error).toBe('forbidden');
    expect((await call('DELETE', '/models/served-licensed', user)).status).toBe(403);
    expect((await call('POST', '/models/served-licensed/install', { authorization: 'Bearer not-a-key-at-all-0000' })).status).toBe(401);
    expect((await openSse(`${svc.url}/events/models/served-licensed`, user)).status).toBe(403);
    expect((await call('GET', '/models')).status).toBe(401);
    const view = await listed('served-upscaler');
    expect(view).toMatchObject({ id: 'served-upscaler', installed: false, task_types: ['image_upscale'], source: 'download', size_bytes: upscaler.length });
    expect(JSON.stringify(view)).not.toContain(modelsDir);
    expect(readdirSync(modelsDir)).toEqual([]);
    // The answer is what /openapi.json says it is.
    const doc = buildOpenApi({ version: '1', authRequired: true }) as { components: unknown };
    const ajv = new Ajv({ strict: false, allowUnionTypes: true });
    ajv.addSchema({ $id: 'doc', components: doc.components } as object);
    const validate = ajv.compile({ $ref: 'doc#/components/schemas/Model' });
    const { body } = await call('GET', '/models', user);
    for (const m of body.models as unknown[]) expect(validate(m), JSON.stringify(validate.errors)).toBe(true);
  });

  it('refuses a non-commercial model without accept_licence (400, nothing written), unknown ids (404) and plain-http sources (502)', async () => {
    const refused = await call('POST', '/models/served-licensed/install', admin);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('licence_not_accepted');
    expect(refused.body.message).toContain('accept_licence');
    const wrongType = await call('POST', '/models/served-licensed/install', admin, { accept_licence: 'yes' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.message).toContain('accept_licence');
    expect((await call('POST', '/models/no-such-model/install', admin)).status).toBe(404);
    const plain = await call('POST', '/models/served-plain-http/install', admin);
    expect(plain.status).toBe(502);
    expect(plain.body.error).toBe('model_source_refused');
    expect(readdirSync(modelsDir)).toEqual([]);
  });

  it('installs from the manifest URL with progress events, refuses a second install meanwhile (409), and the model serves tasks at once', async () => {
    const ready0 = await call('GET', '/ready');
    expect((ready0.body.task_types as Record<string, { available: boolean }>).image_upscale.available).toBe(false);

    const start = await call('POST', '/models/served-upscaler/install', admin);
    expect(start.status).toBe(202);
    expect(start.body).toMatchObject({ id: 'served-upscaler', status: 'installing', events: '/events/models/served-upscaler' });
    const sse = await openSse(`${svc.url}/events/models/served-upscaler`, admin);
    // The server holds the second half back: a progress state must show part of the file.
    const partial = await sse.until((e) => {
      const d = e.data as { received?: number; total?: number };
      return e.event === 'state' && (d.received ?? 0) > 0 && (d.received ?? 0) < upscaler.length;
    });
    expect(partial.data).toMatchObject({ status: 'installing', file: 'model.onnx', total: upscaler.length });

    const second = await call('POST', '/models/served-licensed/install', admin, { accept_licence: true });
    expect(second.status).toBe(409);
    expect(second.body.error).toBe('install_in_progress');
    expect((await call('DELETE', '/models/served-upscaler', admin)).status).toBe(409);

    fileServer.upscalerGate.open();
    const done = await sse.until((e) => e.id === 'done');
    expect(done.data).toMatchObject({ id: 'served-upscaler', status: 'installed', error: null });
    const installed = readFileSync(join(modelsDir, 'served-upscaler', 'model.onnx'));
    expect(sha(installed)).toBe(sha(upscaler));
    expect((await listed('served-upscaler')).installed).toBe(true);
    const again = await call('POST', '/models/served-upscaler/install', admin);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('installed');

    // No restart: /ready and a real task see the model.
    const ready = await call('GET', '/ready');
    expect((ready.body.task_types as Record<string, { available: boolean }>).image_upscale.available).toBe(true);
    const sub = await call('POST', '/submit_task', user, { task_type: 'image_upscale', user_id: 'alice', task_params: { image_url: `${fileServer.url}/lowres.png` } });
    expect(sub.status).toBe(202);
    const ticket = sub.body.ticket_id as string;
    let view: Record<string, unknown> = {};
    for (;;) {
      view = (await call('GET', `/query_task/${ticket}`, user)).body;
      if (['Completed', 'Failed', 'Cancelled'].includes(view.status as string)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(view.status).toBe('Completed');
  });

  it('fails a download whose sha256 differs, with a clear error and no folder left', async () => {
    const { start, final } = await installAndFollow('served-bad-sum');
    expect(start).toBe(202);
    expect(final.status).toBe('failed');
    expect(final.error).toMatch(/sha256 [0-9a-f]{64} differs from the manifest's (ab){32}/);
    expect(final.error).not.toContain(modelsDir);
    expect(existsSync(join(modelsDir, 'served-bad-sum'))).toBe(false);
    expect((await listed('served-bad-sum')).installed).toBe(false);
  });

  it('resumes an interrupted download on the next install with a Range request', async () => {
    fileServer.cutting = true;
    const first = await installAndFollow('served-big');
    expect(first.final.status).toBe('failed');
    expect(first.final.error).toMatch(/broke after \d+ bytes .*install again to resume$/);
    const part = join(modelsDir, 'served-big', 'model.onnx.part');
    const kept = readFileSync(part).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(big.length);
    expect((await listed('served-big')).installed).toBe(false);

    fileServer.cutting = false;
    const before = fileServer.bigRanges.length;
    const second = await installAndFollow('served-big');
    expect(second.final.status).toBe('installed');
    expect(fileServer.bigRanges[before]).toBe(`bytes=${kept}-`);
    expect(sha(readFileSync(join(modelsDir, 'served-big', 'model.onnx')))).toBe(sha(big));
    expect(existsSync(part)).toBe(false);
  });

  it('installs a licensed model once accept_licence is sent', async () => {
    const { start, final } = await installAndFollow('served-licensed', { accept_licence: true });
    expect(start).toBe(202);
    expect(final.status).toBe('installed');
    expect((await listed('served-licensed')).installed).toBe(true);
  });

  it('installs a convert-type model by running its converter (selfie-segmentation from its tfjs graph), giving the manifest\'s sha256', async () => {
    const { start, final } = await installAndFollow('selfie-segmentation');
    expect(start).toBe(202);
    expect(final).toMatchObject({ status: 'installed', error: null });
    const entry = (JSON.parse(readFileSync(PROJECT_MANIFEST_PATH, 'utf8')) as { models: { id: string; files: { sha256: string }[] }[] })
      .models.find((m) => m.id === 'selfie-segmentation');
    expect(sha(readFileSync(join(modelsDir, 'selfie-segmentation', 'model.onnx')))).toBe(entry?.files[0].sha256);
    expect((await listed('selfie-segmentation')).installed).toBe(true);
  });

  it('DELETE removes the files; the model is then not installed in GET /models, /ready and submits', async () => {
    expect((await call('DELETE', '/models/served-upscaler')).status).toBe(401);
    const del = await call('DELETE', '/models/served-upscaler', admin);
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ id: 'served-upscaler', status: 'not_installed', removed: true });
    expect(existsSync(join(modelsDir, 'served-upscaler'))).toBe(false);
    expect((await listed('served-upscaler')).installed).toBe(false);
    const ready = await call('GET', '/ready');
    expect((ready.body.task_types as Record<string, { available: boolean }>).image_upscale.available).toBe(false);
    const sub = await call('POST', '/submit_task', user, { task_type: 'image_upscale', user_id: 'alice', task_params: { image_url: `${fileServer.url}/lowres.png` } });
    expect(sub.status).toBe(503);
    expect(sub.body.error).toBe('model_unavailable');
  });
});

describe('models over the API without BACKSERV_ADMIN_KEYS', () => {
  it('lists models to anyone when keys are off, and refuses install and delete to everyone (403)', async () => {
    const open = await startTestService({ BACKSERV_MODELS_DIR: mkdtempSync(join(tmpdir(), 'backserv-models-off-')) });
    try {
      const list = await fetch(`${open.url}/models`);
      expect(list.status).toBe(200);
      const ids = ((await list.json()) as { models: { id: string }[] }).models.map((m) => m.id);
      expect(ids).toContain('realesrgan-x4fast');
      const install = await fetch(`${open.url}/models/realesrgan-x4fast/install`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
      expect(install.status).toBe(403);
      expect(((await install.json()) as { message: string }).message).toContain('BACKSERV_ADMIN_KEYS');
      expect((await fetch(`${open.url}/models/realesrgan-x4fast`, { method: 'DELETE' })).status).toBe(403);
    } finally {
      await open.close();
    }
  });
});
