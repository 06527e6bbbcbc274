/** Serves result files with their content type and HTTP Range (video players seek). */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Context } from 'koa';
import { ApiError, notFound } from '../errors.js';
import { SAFE_RESULT_NAME } from '../results/result-store.js';

const TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.mp4': 'video/mp4',
};


export async function serveResult(ctx: Context, resultsDir: string, name: string): Promise<void> {
  const type = TYPES[extname(name).toLowerCase()];
  if (!SAFE_RESULT_NAME.test(name) || name.includes('..') || !type) throw notFound(`No result file named ${name}.`);
  const file = join(resultsDir, name);
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) throw notFound(`No result file named ${name}.`);
  ctx.set('Accept-Ranges', 'bytes');
  ctx.set('Cache-Control', 'private, max-age=31536000, immutable');
  ctx.type = type;
  const range = parseRange(ctx.get('range'), info.size);
  if (range === 'invalid') {
    ctx.set('Content-Range', `bytes */${info.size}`);
    throw new ApiError(416, 'range_not_satisfiable', `The requested range is outside the file (${info.size} bytes).`);
  }
  if (range) {
    ctx.status = 206;
    ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${info.size}`);
    ctx.length = range.end - range.start + 1;
    ctx.body = createReadStream(file, range);
    return;
  }
  ctx.length = info.size;
  ctx.body = createReadStream(file);
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
