/** Serves result files with their content type and HTTP Range (video players seek), or redirects to object storage. */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Context } from 'koa';
import { ApiError, notFound } from '../tasks/errors.js';
import { resultType, type ResultStore } from '../results/result-store.js';

export async function serveResult(ctx: Context, results: ResultStore, name: string): Promise<void> {
  const type = resultType(name);
  const where = type ? results.locate(name) : null;
  if (!type || !where) throw notFound(`No result file named ${name}.`);
  if (where.kind === 'redirect') {
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(where.url);
    return;
  }
  // O_NOFOLLOW: a symlink planted in the results folder is refused, not followed (and the check
  // and the read use one descriptor, so the file cannot be swapped in between).
  const handle = await open(where.path, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => null);
  const info = await handle?.stat().catch(() => null);
  if (!handle || !info?.isFile()) {
    await handle?.close();
    throw notFound(`No result file named ${name}.`);
  }
  ctx.set('Accept-Ranges', 'bytes');
  ctx.set('Cache-Control', 'private, max-age=31536000, immutable');
  ctx.type = type;
  const range = parseRange(ctx.get('range'), info.size);
  if (range === 'invalid') {
    await handle.close();
    ctx.set('Content-Range', `bytes */${info.size}`);
    throw new ApiError('range_not_satisfiable', `The requested range is outside the file (${info.size} bytes).`);
  }
  if (range) {
    ctx.status = 206;
    ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${info.size}`);
    ctx.length = range.end - range.start + 1;
  } else {
    ctx.length = info.size;
  }
  // The stream owns the descriptor and closes it when done or when the client goes away.
  ctx.body = handle.createReadStream(range ?? {});
}

function parseRange(header: string, size: number): { start: number; end: number } | null | 'invalid' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // multi-range or junk: send the whole file
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'invalid';
  return { start, end };
}
