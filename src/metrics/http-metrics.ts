/**
 * One middleware for what every request leaves behind: the latency histogram (labelled by the
 * route pattern, never the raw path, so ticket ids do not explode the label set) and one log line.
 * Measured until the response is closed, so streamed bodies count in full; event streams are
 * logged but kept out of the latency histogram (their duration is the task's, not the server's).
 */
import type { Context, Middleware } from 'koa';
import { Histogram, type Registry } from 'prom-client';
import type { Logger } from '../infra/logging.js';

export function requestObserver(registry: Registry, log: Logger): Middleware {
  const duration = new Histogram({
    name: 'backserv_http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  // prom-client hashes the label object on every observe; a child per label set does it once.
  const children = new Map<string, ReturnType<typeof duration.labels>>();
  const childFor = (method: string, route: string, status: string) => {
    const key = `${method} ${status} ${route}`;
    let child = children.get(key);
    if (!child) children.set(key, (child = duration.labels(method, route, status)));
    return child;
  };
  const routeOf = (ctx: Context) => {
    const r = (ctx as Context & { _matchedRoute?: string | RegExp })._matchedRoute;
    return typeof r === 'string' ? r : '(unmatched)';
  };
  return (ctx, next) => {
    const t0 = performance.now();
    ctx.res.once('close', () => {
      const ms = performance.now() - t0;
      const route = routeOf(ctx);
      const status = ctx.status;
      const type = ctx.res.getHeader('content-type');
      if (typeof type !== 'string' || !type.startsWith('text/event-stream')) {
        childFor(ctx.method, route, String(status)).observe(ms / 1000);
      }
      // The line is built only when it will be written (polling clients make many of these).
      if (!log.isLevelEnabled('info')) return;
      const ticket = (ctx as Context & { params?: Record<string, string> }).params?.ticket_id;
      log.info({ method: ctx.method, route, path: ctx.path, status, ms: Math.round(ms * 10) / 10, ...(ticket ? { ticket_id: ticket } : {}) }, 'request');
    });
    return next();
  };
}
