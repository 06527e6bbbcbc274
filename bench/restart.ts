/**
 * Restart with a big queue: N queued tasks whose params each carry an M MiB `data:` URI in the
 * row (the worst case: rows written before inputs moved to the input store), then a server start
 * on that data folder. Reports the time until /ready answers 200 and the server's peak RSS while
 * starting (API process; the worker host is measured apart), against a start on an empty folder.
 * Defaults: 1000 × 4 MiB (`--quick`: 100 × 4 MiB). BACKSERV_BENCH_RESTART="N,M" overrides.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteTaskStore } from '../src/store/sqlite-store.js';
import { summarize } from './stats.js';
import type { BenchOptions, BenchRow } from './types.js';

const ROOT = join(import.meta.dirname, '..');

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function fill(dataDir: string, n: number, mib: number): Promise<void> {
  const store = new SqliteTaskStore(join(dataDir, 'backserv.sqlite'));
  const payload = `data:image/png;base64,${'A'.repeat(mib << 20)}`;
  for (let i = 0; i < n; i++) {
    await store.create({ ticket_id: `bench-${i}`, task_type: 'image_upscale', user_id: `u${i % 7}`, params: { image_url: payload }, serv_name: 'bench', created_at: new Date().toISOString() });
  }
  await store.close();
}

/** Starts the built server on `dataDir` with claims held (no models dir), until /ready is 200. */
async function startOnce(dataDir: string): Promise<{ readyMs: number; peakRssMiB: number }> {
  const t0 = performance.now();
  const proc = spawn(process.execPath, [join(ROOT, 'dist', 'main.js')], {
    env: { ...process.env, PORT: '0', BACKSERV_DATA_DIR: dataDir, BACKSERV_MODELS_DIR: join(dataDir, 'no-models'), BACKSERV_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let peak = 0;
  const sampler = setInterval(() => { try { peak = Math.max(peak, rssMiB(proc.pid!)); } catch { /* exited */ } }, 20);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /"port":(\d+)[^\n]*listening/.exec(out) ?? /listening[^\n]*"port":(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      proc.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    for (;;) {
      const res = await fetch(`http://127.0.0.1:${port}/ready`).catch(() => null);
      if (res?.status === 200) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const readyMs = performance.now() - t0;
    peak = Math.max(peak, rssMiB(proc.pid!));
    return { readyMs, peakRssMiB: peak };
  } finally {
    clearInterval(sampler);
    proc.kill('SIGKILL');
  }
}

export async function runRestartBench(opts: BenchOptions): Promise<BenchRow[]> {
  const [n, mib] = (process.env.BACKSERV_BENCH_RESTART ?? (opts.quick ? '100,4' : '1000,4')).split(',').map(Number);
  const big = mkdtempSync(join(tmpdir(), 'backserv-bench-restart-'));
  const empty = mkdtempSync(join(tmpdir(), 'backserv-bench-restart-empty-'));
  try {
    opts.progress(`restart: writing ${n} queued tasks × ${mib} MiB`);
    await fill(big, n, mib);
    const reps = opts.quick ? 2 : 3;
    const runs = { big: [] as { readyMs: number; peakRssMiB: number }[], empty: [] as { readyMs: number; peakRssMiB: number }[] };
    for (let r = 0; r < reps; r++) {
      opts.progress(`restart: start ${r + 1}/${reps}`);
      runs.empty.push(await startOnce(empty));
      runs.big.push(await startOnce(big));
    }
    const row = (name: string, unit: string, xs: number[], baseline?: { name: string; median: number }): BenchRow => {
      const s = summarize(xs);
      return { part: 'restart', name, unit, ...s, ...(baseline ? { baseline: baseline.name, ratio: s.median / baseline.median } : {}) };
    };
    const emptyReady = row('ready after start, empty queue', 'ms', runs.empty.map((x) => x.readyMs));
    const emptyRss = row('peak RSS while starting, empty queue', 'MiB', runs.empty.map((x) => x.peakRssMiB));
    return [
      emptyReady,
      row(`ready after start, ${n} queued × ${mib} MiB`, 'ms', runs.big.map((x) => x.readyMs), { name: emptyReady.name, median: emptyReady.median }),
      emptyRss,
      row(`peak RSS while starting, ${n} queued × ${mib} MiB`, 'MiB', runs.big.map((x) => x.peakRssMiB), { name: emptyRss.name, median: emptyRss.median }),
    ];
  } finally {
    rmSync(big, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  }
}
