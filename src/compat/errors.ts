/**
 * Errors of the compat routes. They reuse ApiError (status, stable code, message, headers) so
 * the shared submit path's errors (429 queue_full, 503 model_unavailable, 400 from the
 * validator) pass through unchanged; each API's middleware then writes them in its own shape.
 * A FieldError also names the request field at fault (A1111: FastAPI's `loc`; OpenAI: `param`).
 */
import type { Context, Middleware } from 'koa';
import type Router from '@koa/router';
import type { Logger } from '../infra/logging.js';
import { ApiError } from '../tasks/errors.js';

export class FieldError extends ApiError {
  constructor(status: number, code: string, readonly field: string | null, message: string) {
    super(status, code, message);
  }
}

export interface ShapedError {
  status: number;
  code: string;
  message: string;
  field: string | null;
  headers: Record<string, string>;
}

/** Any thrown value → what the client may see: ApiErrors as they are, Koa's exposable 4xx, else a bare 500. */
export function toShaped(err: unknown, ctx: Context, log: Logger): ShapedError {
  if (err instanceof ApiError) {
    return { status: err.status, code: err.code, message: err.message, field: err instanceof FieldError ? err.field : null, headers: err.headers };
  }
  const e = err as { status?: number; expose?: boolean; message?: string };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose) {
    return { status: e.status, code: 'invalid_request', message: e.message ?? 'Bad request', field: null, headers: {} };
  }
  log.error({ err, method: ctx.method, path: ctx.path }, 'compat: unhandled error');
  return { status: 500, code: 'internal_error', message: 'Internal error; the server log has the details.', field: null, headers: {} };
}

/**
 * The middleware that owns a path prefix: its router's routes, 404/405 for the rest of the
 * prefix, and every error written by `write` (the API's own shape). Other paths pass through.
 */
export function ownPrefix(prefix: string, router: Router, log: Logger, write: (ctx: Context, e: ShapedError) => void): Middleware {
  // Typed as plain Koa middleware: app.use() gives router middleware the same context at run time.
  const routes = router.routes() as unknown as Middleware;
  const allowed = router.allowedMethods({ throw: false }) as unknown as Middleware;
  return async (ctx, next) => {
    if (!ctx.path.startsWith(prefix)) return next();
    try {
      await routes(ctx, () => allowed(ctx, async () => undefined));
      if (ctx.status === 405 && ctx.body === undefined) {
        throw new ApiError(405, 'method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}; allowed: ${ctx.response.get('Allow')}.`);
      }
      if (ctx.status === 404 && ctx.body === undefined) throw new ApiError(404, 'not_found', `No route for ${ctx.method} ${ctx.path} on this server.`);
    } catch (err) {
      const shaped = toShaped(err, ctx, log);
      ctx.status = shaped.status;
      ctx.set(shaped.headers);
      write(ctx, shaped);
    }
  };
}
