/** Small HTTP client helpers for tests against a real server. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
export const fixtureImage = (name: string) => join(FIXTURES, 'images', name);

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export async function postJson(url: string, body: unknown): Promise<JsonResponse> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

export async function getJson(url: string): Promise<JsonResponse> {
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

export async function submit(base: string, task_type: string, task_params: Record<string, unknown>, user_id = 'tester') {
  return postJson(`${base}/submit_task`, { task_type, task_params, user_id });
}

const FINAL = new Set(['Completed', 'Failed', 'Cancelled']);

/** Polls query_task until a final status (or `until` matches); fails the test on timeout. */
export async function waitFor(base: string, ticket: string, until: (b: Record<string, unknown>) => boolean = (b) => FINAL.has(b.status as string), timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await getJson(`${base}/query_task/${ticket}`);
    if (until(body)) return body;
    if (Date.now() > deadline) throw new Error(`timeout waiting on ${ticket}: last ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Serves files from a folder on 127.0.0.1 (image URLs for tests), with a few test routes. */
export async function startFileServer(dir: string): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').slice(1).split('?')[0]);
    if (name.startsWith('redirect-to/')) {
      res.writeHead(302, { location: decodeURIComponent(name.slice('redirect-to/'.length)) });
      res.end();
      return;
    }
    try {
      const bytes = readFileSync(join(dir, name.replace(/\.\./g, '')));
      res.writeHead(200, { 'content-type': extname(name) === '.png' ? 'image/png' : 'image/jpeg' });
      res.end(bytes);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
