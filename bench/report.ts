/** Terminal table, JSON file, and comparison against an earlier run. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, hostname, platform, release } from 'node:os';
import { join } from 'node:path';
import type { GoalLine } from './goals.js';
import type { BenchRow } from './types.js';

export interface BenchFile {
  when: string;
  machine: { host: string; cpus: string; cores: number; memory_gib: number; os: string; node: string };
  device: string;
  versions: Record<string, string>;
  quick: boolean;
  rows: BenchRow[];
  /** The goals table at the end of the report (absent in files from before it existed). */
  goals?: GoalLine[];
}

export function machineInfo(): BenchFile['machine'] {
  return {
    host: hostname(),
    cpus: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memory_gib: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
    node: process.version,
  };
}

const fmt = (v: number) => (!Number.isFinite(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3));

export function printTable(rows: BenchRow[], previous?: BenchRow[]): void {
  const key = (r: BenchRow) => `${r.part}/${r.name}`;
  const prev = new Map((previous ?? []).map((r) => [key(r), r]));
  const lines = [['part', 'figure', 'median', 'min', 'max', 'n', 'unit', 'vs baseline', ...(previous ? ['vs earlier'] : []), 'note']];
  for (const r of rows) {
    const p = prev.get(key(r));
    lines.push([
      r.part, r.name, fmt(r.median), fmt(r.min), fmt(r.max), String(r.n), r.unit,
      r.ratio !== undefined ? `${fmt(r.ratio)}× ${r.baseline}` : '',
      ...(previous ? [p ? `${((r.median / p.median - 1) * 100).toFixed(1)}%` : 'new'] : []),
      [r.noisy ? 'TOO NOISY: the run cannot settle this figure (its sign); rerun on a quieter machine before trusting it' : '', r.note ?? ''].filter(Boolean).join('; '),
    ]);
  }
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  for (const [i, l] of lines.entries()) {
    console.log(l.map((c, j) => c.padEnd(widths[j])).join('  ').trimEnd());
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

export function writeResults(dir: string, file: BenchFile): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `bench-${file.when.replace(/[:.]/g, '-')}.json`);
  writeFileSync(path, JSON.stringify(file, null, 2) + '\n');
  return path;
}

export function readResults(path: string): BenchFile {
  return JSON.parse(readFileSync(path, 'utf8')) as BenchFile;
}
