/** Turns a Koa response into a Server-Sent Events stream: no socket timeout, no buffering by proxies. */
import type { Context } from 'koa';
import { PassThrough } from 'node:stream';

export function openEventStream(ctx: Context): PassThrough {
  const stream = new PassThrough();
  ctx.req.socket.setTimeout(0);
  ctx.req.socket.setNoDelay(true);
  ctx.status = 200;
  // X-Accel-Buffering: nginx would otherwise hold events back until its buffer fills.
  ctx.set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', 'X-Accel-Buffering': 'no' });
  ctx.body = stream;
  return stream;
}
