/** `download ID [--accept-license]`: every file of a model, resumable, checksummed. */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { downloadFile, DownloadError, formatProgress } from '../download.js';
import { CliError, entryFor, type CliContext } from './context.js';

function existingSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

export async function downloadModel(ctx: CliContext, id: string | undefined, acceptLicense: boolean): Promise<void> {
  const entry = entryFor(ctx, id);
  if (entry.source === 'bundled') {
    ctx.out(`${entry.id} ships with Back.Serv (models/${entry.id}/); nothing to download`);
    return;
  }
  if (entry.files.some((f) => f.urls.length === 0)) {
    throw new CliError(`${entry.id} has no download location; create it with \`npm run models -- convert ${entry.id}\``);
  }
  if (entry.license.nonCommercial && !acceptLicense) {
    throw new CliError(`${entry.id} is licensed "${entry.license.name}" (non-commercial); read ${entry.license.url} and rerun with --accept-license`);
  }
  const dir = join(ctx.modelsDir, entry.id);
  for (const f of entry.files) {
    const dest = join(dir, f.path);
    const have = existingSize(dest);
    if (have >= 0 && (f.size <= 0 || have === f.size)) {
      ctx.err(`${entry.id}/${f.path}: already present (${have} bytes)`);
      continue;
    }
    const label = `${entry.id}/${f.path}`;
    if (!f.sha256) ctx.err(`${label}: the manifest has no sha256 for this file; it will not be verified`);
    let lastLine = 0;
    const started = Date.now();
    let lastError: unknown = null;
    for (const url of f.urls) {
      try {
        const digest = await downloadFile({
          url,
          dest,
          sha256: f.sha256,
          size: f.size,
          onProgress: (p) => {
            const now = Date.now();
            if (ctx.tty) process.stderr.write(`\r${formatProgress(label, p)}\x1b[K`);
            else if (now - lastLine >= 5000) {
              lastLine = now;
              ctx.err(formatProgress(label, p));
            }
          },
        });
        if (ctx.tty) process.stderr.write('\n');
        ctx.err(`${label}: done in ${((Date.now() - started) / 1000).toFixed(1)} s, sha256 ${digest}${f.sha256 ? ' (verified)' : ''}`);
        lastError = null;
        break;
      } catch (err) {
        if (ctx.tty) process.stderr.write('\n');
        lastError = err;
        // A wrong checksum is not a mirror problem: do not try the next URL with the same data.
        if (err instanceof DownloadError && (err.code === 'checksum' || err.code === 'size')) break;
      }
    }
    if (lastError) throw new CliError(`${label}: ${(lastError as Error).message}`);
  }
  ctx.out(`${entry.id}: installed in ${dir}`);
}
