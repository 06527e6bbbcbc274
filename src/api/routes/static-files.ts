/** Sends one known file from disk (docs and playground assets); names are never taken from the URL as paths. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Context } from 'koa';
import { notFound } from '../../tasks/errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export async function sendFile(ctx: Context, dir: string, name: string, cacheSeconds = 300): Promise<void> {
  const file = join(dir, name);
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) throw notFound(`No file named ${name}.`);
  ctx.type = TYPES[extname(name)] ?? 'application/octet-stream';
  ctx.length = info.size;
  ctx.set('Cache-Control', `public, max-age=${cacheSeconds}`);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.body = createReadStream(file);
}

/** The first folder that exists: source checkouts serve src/web even when running from dist/. */
export function firstExisting(...dirs: string[]): string {
  return dirs.find((d) => existsSync(d)) ?? dirs[0];
}
