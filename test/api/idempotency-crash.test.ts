/**
 * kill -9 while clients submit with Idempotency-Keys and retry until answered: every key ends
 * with exactly one task. The key commits with the task (one SQLite transaction), so no crash
 * can leave a task whose key a retry would not find. BACKSERV_TEST_IDEM_SUBMITS sets the number
 * of keys (default 400).
 */
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, startFileServer } from '../helpers/http.js';
import { testEnv } from '../helpers/service.js';

const ROOT = join(import.meta.dirname, '..', '..');
const KEYS = Number(process.env.BACKSERV_TEST_IDEM_SUBMITS ?? 400);
const CLIENTS = 8;
const KILL_EVERY_FIFTH = 5;
let files: Awaited<ReturnType<typeof startFileServer>>;
let child: ChildProcess | null = null;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'backserv-idem-images-'));
  cpSync(join(FIXTURES, 'images', 'lowres_bryan.png'), join(dir, 'small.png'));
  files = await startFileServer(dir);
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await files?.close();
});

function start(env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env: { ...process.env, ...env, BACKSERV_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'ignore'] });
    child = proc;
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"port":(\d+)[^\n]*listening/.exec(out);
      if (m) resolve(`http://127.0.0.1:${m[1]}`);
    });
    proc.once('exit', () => reject(new Error('server exited before listening')));
  });
}

describe('Idempotency-Key under kill -9', () => {
  it(`${KEYS} keyed submits with retries across repeated kills: exactly one task per key`, async () => {
    const env = testEnv({ PORT: '0', BACKSERV_MAX_QUEUED_PER_USER: '100000', BACKSERV_MAX_QUEUED: '100000' });
    let url = await start(env);
    const port = new URL(url).port;
    env.PORT = port; // restarts listen where the clients already send
    let next = 0;
    const answered = new Map<string, string>();
    let kills = 0;
    let running = true;

    const client = async () => {
      for (let i = next++; i < KEYS; i = next++) {
        const key = `key-${i}`;
        const body = JSON.stringify({ task_type: 'image_upscale', user_id: `u${i % 5}`, task_params: { image_url: `${files.url}/small.png?k=${key}`, scale_factor: 2 } });
        for (;;) {
          const res = await fetch(`${url}/submit_task`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body }).catch(() => null);
          if (res?.status === 202) {
            answered.set(key, ((await res.json()) as { ticket_id: string }).ticket_id);
            break;
          }
          await res?.arrayBuffer().catch(() => undefined);
          await new Promise((r) => setTimeout(r, 20)); // down, or a key still held: retry
        }
      }
    };
    const killer = async () => {
      // A kill each time another fifth of the keys has been answered (plus a random 0–50 ms), so
      // every run has kills in the middle of the traffic, however fast the machine is.
      while (running) {
        const target = Math.min(KEYS - 1, Math.floor(((kills + 1) * KEYS) / KILL_EVERY_FIFTH));
        while (running && answered.size < target) await new Promise((r) => setTimeout(r, 5));
        await new Promise((r) => setTimeout(r, Math.random() * 50));
        if (!running || kills >= KILL_EVERY_FIFTH - 1) break;
        child!.kill('SIGKILL');
        kills++;
        await new Promise((r) => child!.once('exit', r));
        // A start cut short (the test ending) must not surface as an unhandled rejection.
        for (let tries = 0; ; tries++) {
          try {
            url = await start(env);
            break;
          } catch (err) {
            if (tries >= 3) throw err;
          }
        }
      }
    };
    const killing = killer();
    await Promise.all(Array.from({ length: CLIENTS }, client));
    running = false;
    await killing;

    expect(kills).toBe(KILL_EVERY_FIFTH - 1);
    expect(answered.size).toBe(KEYS);
    const db = new Database(join(env.BACKSERV_DATA_DIR, 'backserv.sqlite'), { readonly: true });
    const rows = db.prepare(`SELECT ticket_id, json_extract(params, '$.image_url') AS url FROM tasks`).all() as { ticket_id: string; url: string }[];
    db.close();
    const perKey = new Map<string, string[]>();
    for (const r of rows) {
      const key = new URL(r.url).searchParams.get('k')!;
      perKey.set(key, [...(perKey.get(key) ?? []), r.ticket_id]);
    }
    const duplicates = [...perKey].filter(([, ids]) => ids.length > 1);
    expect(duplicates).toEqual([]);
    expect(perKey.size).toBe(KEYS);
    // Every answer, first or replayed, names the one task its key created.
    for (const [key, ticket] of answered) expect(perKey.get(key)).toEqual([ticket]);
  }, Math.max(600_000, KEYS * 400));
});
