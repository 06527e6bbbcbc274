/**
 * `download ID [--accept-license] [--mirror URL]`: every file of a model, resumable, checksummed.
 * When the network is out of reach it says, for every file still missing, where to fetch it and
 * where to put it, and removes any folder it made that stayed empty.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { ManifestEntry, ManifestFile } from '../../models/manifest.js';
import { downloadFile, DownloadError } from '../../models/download/download-file.js';
import { formatProgress, humanBytes } from '../../models/download/progress.js';
import { removeEmptyFolders } from '../../models/install/empty-folders.js';
import { UsageError } from './args.js';
import { CliError, entryFor, type CliContext } from './context.js';

export interface DownloadOptions {
  acceptLicense: boolean;
  /** Base URL that replaces each file URL's origin (same path), or null for the origins. */
  mirror: string | null;
}

/** A plain log line this often when stderr is not a terminal. */
const LOG_EVERY_MS = 5000;

function existingSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

function present(dir: string, f: ManifestFile): boolean {
  const have = existingSize(join(dir, f.path));
  return have >= 0 && (f.size <= 0 || have === f.size);
}

function parseMirror(mirror: string | null): URL | null {
  if (mirror === null) return null;
  let url: URL;
  try {
    url = new URL(mirror);
  } catch {
    throw new UsageError(`--mirror needs an http(s) URL, got "${mirror}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--mirror needs an http(s) URL, got "${mirror}"`);
  return url;
}

function viaMirror(url: string, mirror: URL | null): string {
  if (!mirror) return url;
  const u = new URL(url);
  return `${mirror.origin}${mirror.pathname.replace(/\/$/, '')}${u.pathname}${u.search}`;
}

/** Where to fetch each missing file and where to put it, for an operator placing them by hand. */
function byHandListing(ctx: CliContext, entry: ManifestEntry, dir: string, missing: readonly ManifestFile[]): string[] {
  const lines = [`To install ${entry.id} by hand, fetch ${missing.length === 1 ? 'this file' : `these ${missing.length} files`} on a connected machine and copy each to the path shown:`];
  for (const f of missing) {
    const facts = [f.size > 0 ? humanBytes(f.size) : 'size not in the manifest', f.sha256 ? `sha256 ${f.sha256}` : 'no checksum in the manifest'];
    lines.push(`  ${f.urls.join('  or  ')}`, `    -> ${join(dir, f.path)}  (${facts.join(', ')})`);
  }
  lines.push(`Then check them with \`backserv models verify\` (${ctx.modelsDir} is BACKSERV_MODELS_DIR).`);
  return lines;
}

async function fetchOne(ctx: CliContext, entry: ManifestEntry, dir: string, f: ManifestFile, mirror: URL | null): Promise<void> {
  const label = `${entry.id}/${f.path}`;
  const dest = join(dir, f.path);
  if (!f.sha256) ctx.err(`${label}: the manifest has no sha256 for this file; it will not be verified`);
  let lastError: unknown = null;
  for (const source of f.urls) {
    const url = viaMirror(source, mirror);
    const started = Date.now();
    let lastLine = started;
    let drawn = false;
    if (!ctx.tty) ctx.err(`${label}: downloading ${url}${f.size > 0 ? ` (${humanBytes(f.size)})` : ''}`);
    try {
      const digest = await downloadFile({
        url,
        dest,
        sha256: f.sha256,
        size: f.size,
        onProgress: (p) => {
          if (ctx.tty) {
            ctx.errRaw(`\r${formatProgress(label, p)}\x1b[K`);
            drawn = true;
          } else if (Date.now() - lastLine >= LOG_EVERY_MS) {
            lastLine = Date.now();
            ctx.err(formatProgress(label, p));
          }
        },
      });
      if (drawn) ctx.errRaw('\n');
      ctx.err(`${label}: done in ${((Date.now() - started) / 1000).toFixed(1)} s, sha256 ${digest}${f.sha256 ? ' (verified)' : ''}`);
      return;
    } catch (err) {
      if (drawn) ctx.errRaw('\n');
      lastError = err;
      // A wrong checksum is not a mirror problem, and an unreachable network fails every URL alike.
      if (err instanceof DownloadError && err.code !== 'http') break;
    }
  }
  throw lastError;
}

export async function downloadModel(ctx: CliContext, id: string | undefined, opts: DownloadOptions): Promise<void> {
  const entry = entryFor(ctx, id);
  const mirror = parseMirror(opts.mirror);
  if (entry.source === 'bundled') {
    ctx.out(`${entry.id} ships with Back.Serv (models/${entry.id}/); nothing to download`);
    return;
  }
  if (entry.files.some((f) => f.urls.length === 0)) {
    throw new CliError(`${entry.id} has no download location; create it offline with \`backserv models convert ${entry.id}\``);
  }
  if (entry.license.nonCommercial && !opts.acceptLicense) {
    throw new CliError(`${entry.id} is licensed "${entry.license.name}" (non-commercial); read ${entry.license.url} and rerun with --accept-license`);
  }
  const dir = join(ctx.modelsDir, entry.id);
  for (const f of entry.files) if (present(dir, f)) ctx.err(`${entry.id}/${f.path}: already present`);
  const missing = entry.files.filter((f) => !present(dir, f));
  try {
    for (const f of missing) await fetchOne(ctx, entry, dir, f, mirror);
  } catch (err) {
    removeEmptyFolders(dir);
    if (err instanceof DownloadError && err.code === 'offline') {
      // The error's own hint names one file; the listing names every file still missing.
      const still = missing.filter((f) => !present(dir, f));
      throw new CliError(`${entry.id}: ${err.reason}; the model is not installed`, byHandListing(ctx, entry, dir, still));
    }
    throw new CliError(`${entry.id}: ${(err as Error).message}`);
  }
  ctx.out(`${entry.id}: installed in ${dir}`);
}
