/**
 * The README's Quick start, run as written from this repository: `npm start` (the first set-up
 * command, on a free port and a scratch data dir), then the "Try it" block's curl commands, with
 * only `localhost:4093` pointed at that port and `<ticket_id>` filled in from the first answer.
 * Catches a Quick start that names a file outside the repository or an answer that changed shape.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The body of the first ```sh block after `marker` in the README. */
function shBlockAfter(marker: string): string {
  const at = README.indexOf(marker);
  if (at < 0) throw new Error(`README has no "${marker}"`);
  const m = /```sh\n([\s\S]*?)```/.exec(README.slice(at));
  if (!m) throw new Error(`README has no sh block after "${marker}"`);
  return m[1];
}

/** The block's commands: comment lines dropped, backslash continuations joined. */
function commands(block: string): string[] {
  return block.replace(/\\\n\s*/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

const haveCurl = spawnSync('curl', ['--version']).status === 0;
let server: ChildProcess | undefined;
let port = 0;
let dataDir = '';

describe.skipIf(!haveCurl)('README Quick start, run as written', () => {
  beforeAll(async () => {
    const setup = commands(shBlockAfter('## Quick start'));
    // The first command installs and starts; `npm ci` already ran here, so only its start part runs.
    expect(setup[0]).toMatch(/npm ci && npm start$/);
    port = await freePort();
    dataDir = mkdtempSync(join(tmpdir(), 'backserv-quickstart-'));
    server = spawn('npm', ['start'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', BACKSERV_DATA_DIR: dataDir, BACKSERV_API_KEYS: '', BACKSERV_LOG_LEVEL: 'warn' },
      stdio: 'ignore',
      detached: true, // npm runs node in a child: signal the whole group at the end
    });
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
      if (ok) break;
      if (i > 600) throw new Error('npm start did not answer /health');
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 90_000);

  afterAll(async () => {
    if (server?.pid) {
      const exited = new Promise((r) => server!.once('exit', r));
      process.kill(-server.pid, 'SIGTERM');
      await exited;
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('the "Try it" commands submit an upscale of the bundled sample and query it to Completed', async () => {
    const [submitCmd, queryCmd, ...rest] = commands(shBlockAfter('Try it:'));
    expect(rest).toEqual([]);
    // A clone has nothing beside it: no command may reach outside the repository.
    for (const c of [submitCmd, queryCmd]) expect(c).not.toMatch(/\.\.\/|~\/|\/work\//);
    const sh = (cmd: string) => {
      const r = spawnSync('bash', ['-c', cmd.replaceAll('localhost:4093', `localhost:${port}`)], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
      expect(r.stderr).toBe(''); // e.g. "base64: …: No such file or directory"
      expect(r.status).toBe(0);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    };
    const accepted = sh(submitCmd);
    expect(accepted.status).toBe('Queueing');
    expect(accepted.ticket_id).toMatch(/^[0-9a-f-]{36}$/);

    expect(queryCmd).toContain('<ticket_id>');
    let view: Record<string, unknown> = {};
    for (let i = 0; i < 600; i++) {
      view = sh(queryCmd.replace('<ticket_id>', accepted.ticket_id as string));
      if (view.status === 'Completed' || view.status === 'Failed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(view.status).toBe('Completed');
    expect(view.result_info).toBe(`http://localhost:${port}/results/${accepted.ticket_id as string}.png`);
    const png = Buffer.from(await (await fetch(view.result_info as string)).arrayBuffer());
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height]).toEqual([460, 460]); // the 115-px sample × 4
  }, 120_000);
});

describe('README links', () => {
  it('every relative link points at a file in the repository (a clone has nothing beside it)', () => {
    const links = [...README.matchAll(/\]\((?!https?:|#|mailto:)([^)\s#]+)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(0);
    for (const l of links) {
      expect(l, l).not.toMatch(/^\.\.\//);
      expect(spawnSync('test', ['-e', join(ROOT, l)]).status, `README links to missing ${l}`).toBe(0);
    }
  });
});
