/**
 * `http` (uploads): what large and hostile request bodies cost the server, measured on a real
 * server in a child process (so its RSS is its own):
 * - RSS under the half-sent-upload attack: 20 sockets each send 24 MiB − 1 byte of a 24 MiB
 *   submit (a data: URI), then hold, then close; RSS before, at the peak, and after;
 * - the same with a body the server cannot set aside (JSON structure, not one long string);
 * - /health p50/p99 while 4 clients submit 24 MiB data: tasks, next to /health idle, and the
 *   server's own event-loop delay over the same windows (from its /metrics).
 * Bodies go to a child process over loopback; RSS is read from /proc (Linux).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testModelsDir } from './service-fixture.js';
import type { BenchOptions, BenchRow } from './types.js';

const ROOT = join(import.meta.dirname, '..');
const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ChildServer { proc: ChildProcess; port: number; close(): Promise<void> }

async function startChild(env: Record<string, string>): Promise<ChildServer> {
  const proc = spawn(process.execPath, ['--expose-gc', '--import', join(import.meta.dirname, 'fixtures', 'gc-on-signal.mjs'), '--import', 'tsx', 'src/main.ts', 'start'], {
    cwd: ROOT,
    env: {
      ...process.env, PORT: '0', HOST: '127.0.0.1', BACKSERV_LOG_LEVEL: 'info', BACKSERV_DEVICE: 'cpu', BACKSERV_WORKERS: '1',
      BACKSERV_DATA_DIR: mkdtempSync(join(tmpdir(), 'backserv-bench-up-')), BACKSERV_MODELS_DIR: await testModelsDir(), ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('bench server did not start')), 60_000);
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /"port":(\d+)[^\n]*listening/.exec(buf) ?? /listening[^\n]*"port":(\d+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
      if (buf.length > 1e6) buf = buf.slice(-1e5);
    });
    proc.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return {
    proc,
    port,
    close: async () => {
      proc.kill('SIGKILL');
      await new Promise((r) => proc.once('exit', r));
    },
  };
}

/** Resident set size of a process in MiB (Linux /proc). */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** RSS once it stops falling (the server's own timers and GC settle), up to `maxMs`. */
async function settledRss(pid: number, maxMs: number): Promise<number> {
  let last = rssMiB(pid);
  const end = Date.now() + maxMs;
  while (Date.now() < end) {
    await sleep(1000);
    const now = rssMiB(pid);
    if (Math.abs(now - last) < 1) return now;
    last = now;
  }
  return last;
}

/** A submit of exactly `total` bytes whose data: URI is valid base64 starting like a PNG (the rest is filler). */
function dataUriBody(total: number): Buffer {
  const head = '{"task_type":"image_upscale","task_params":{"image_url":"data:image/png;base64,';
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).toString('base64');
  const tail = (pad: number) => `"},"user_id":"bench-upload${'x'.repeat(pad)}"}`;
  const fill = total - head.length - tail(0).length - png.length;
  // Whole base64 quanta; the user_id takes up the remainder.
  return Buffer.from(head + png + 'A'.repeat(fill - (fill % 4)) + tail(fill % 4));
}

/** A body of JSON structure only (an array of numbers), which the server must hold to parse. */
function structureBody(total: number): Buffer {
  const head = '{"task_type":"image_upscale","task_params":{"image_url":"https://example.com/a.png","x":[';
  const tail = '0]},"user_id":"bench-upload"}';
  return Buffer.from(head + '1,'.repeat((total - head.length - tail.length) / 2) + tail);
}

/** Sends all but the last byte of `body` on `n` sockets, holds `holdMs`, closes; samples RSS meanwhile. */
async function attack(server: ChildServer, body: Buffer, n: number, holdMs: number): Promise<{ peak: number; answers: Record<string, number> }> {
  const head = `POST /submit_task HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
  const answers: Record<string, number> = {};
  let peak = rssMiB(server.proc.pid!);
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMiB(server.proc.pid!));
  }, 100);
  const sockets: Socket[] = [];
  await Promise.all(Array.from({ length: n }, () => new Promise<void>((resolve) => {
    const s = connect(server.port, '127.0.0.1');
    sockets.push(s);
    let text = '';
    s.on('data', (d: Buffer) => {
      text += d.toString();
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 'closed';
      answers[status] = (answers[status] ?? 0) + 1;
    });
    s.write(head);
    // In 1 MiB pieces, waiting for each to drain: a sender as fast as the server reads.
    let off = 0;
    const pump = () => {
      while (off < body.length - 1 && !s.destroyed) {
        const end = Math.min(off + MiB, body.length - 1);
        const more = s.write(body.subarray(off, end));
        off = end;
        if (!more) return void s.once('drain', pump);
      }
      resolve();
    };
    pump();
    s.on('close', () => resolve());
  })));
  await sleep(holdMs);
  for (const s of sockets) s.destroy();
  await sleep(500);
  clearInterval(sampler);
  return { peak, answers };
}

async function healthLatency(port: number, ms: number, agent: Agent): Promise<number[]> {
  const times: number[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/health', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      req.end();
    });
    times.push(performance.now() - t0);
    await sleep(5);
  }
  return times;
}

function postBody(port: number, body: Buffer, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/submit_task', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The server's own event-loop delay since the previous scrape (prom-client resets it on each), in ms. */
async function serverLag(port: number): Promise<{ p99: number; max: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^backserv_${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) * 1000;
  return { p99: read('nodejs_eventloop_lag_p99_seconds'), max: read('nodejs_eventloop_lag_max_seconds') };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

export async function runUploadBench(opts: BenchOptions): Promise<BenchRow[]> {
  if (!existsSync('/proc/self/status')) throw new Error('needs Linux /proc to read RSS');
  const one = (name: string, unit: string, v: number, baseline?: string, base?: number): BenchRow =>
    ({ part: 'http', name, unit, median: v, min: v, max: v, n: 1, ...(baseline ? { baseline, ratio: v / base! } : {}) });
  const rows: BenchRow[] = [];
  const size = 24 * MiB;
  const holdMs = opts.quick ? 2_000 : 5_000;

  for (const [label, body] of [['data: URI', dataUriBody(size)], ['JSON structure', structureBody(size)]] as const) {
    const server = await startChild({});
    try {
      await sleep(1500);
      server.proc.kill('SIGUSR2');
      const before = await settledRss(server.proc.pid!, 5_000);
      opts.progress(`http: 20 half-sent 24 MiB uploads (${label})`);
      const { peak, answers } = await attack(server, body, 20, holdMs);
      const after = await settledRss(server.proc.pid!, opts.quick ? 5_000 : 15_000);
      // What is still held, as opposed to garbage V8 has not collected yet.
      server.proc.kill('SIGUSR2');
      const afterGc = await settledRss(server.proc.pid!, 5_000);
      process.stderr.write(`\r\x1b[Khttp: half-sent uploads (${label}): answers ${JSON.stringify(answers)}; RSS ${before.toFixed(0)} → peak ${peak.toFixed(0)} → ${after.toFixed(0)} → ${afterGc.toFixed(0)} MiB after a full GC\n`);
      rows.push(
        one(`RSS before attack (${label})`, 'MiB', before),
        one(`RSS peak, 20 × 24 MiB−1 (${label})`, 'MiB', peak, `RSS before attack (${label})`, before),
        one(`RSS after attack (${label})`, 'MiB', after, `RSS before attack (${label})`, before),
        one(`RSS after attack + full GC (${label})`, 'MiB', afterGc, `RSS before attack (${label})`, before),
      );
    } finally {
      await server.close();
    }
  }

  const server = await startChild({});
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  try {
    await sleep(1500);
    const seconds = opts.quick ? 4 : 10;
    opts.progress('http: /health idle');
    await serverLag(server.port);
    const idle = await healthLatency(server.port, seconds * 1000, agent);
    const idleLag = await serverLag(server.port);
    opts.progress('http: /health while 4 clients submit 24 MiB data: tasks');
    const body = dataUriBody(size);
    let stop = false;
    const statuses: Record<string, number> = {};
    const clients = Array.from({ length: 4 }, async () => {
      const own = new Agent({ keepAlive: true, maxSockets: 1 });
      while (!stop) {
        const status = await postBody(server.port, body, own);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
      own.destroy();
    });
    const busy = await healthLatency(server.port, seconds * 1000, agent);
    const busyLag = await serverLag(server.port);
    stop = true;
    await Promise.all(clients);
    process.stderr.write(`\r\x1b[Khttp: 24 MiB submits during the /health window: ${JSON.stringify(statuses)}\n`);
    rows.push(
      one('/health p50 (idle)', 'ms', pct(idle, 50)),
      one('/health p99 (idle)', 'ms', pct(idle, 99)),
      one('/health p50 (4 × 24 MiB submits)', 'ms', pct(busy, 50), '/health p50 (idle)', pct(idle, 50)),
      one('/health p99 (4 × 24 MiB submits)', 'ms', pct(busy, 99), '/health p99 (idle)', pct(idle, 99)),
      one('server event-loop p99 (idle)', 'ms', idleLag.p99),
      one('server event-loop p99 (4 × 24 MiB submits)', 'ms', busyLag.p99, 'server event-loop p99 (idle)', idleLag.p99),
      one('server event-loop max (4 × 24 MiB submits)', 'ms', busyLag.max),
      one('24 MiB submits accepted', 'count', statuses['202'] ?? 0),
    );
  } finally {
    agent.destroy();
    await server.close();
  }
  return rows;
}
