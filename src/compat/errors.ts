/**
 * Errors of the compat routes. Errors of the shared submit path are catalogued ApiErrors
 * (429 queue_full, 503 model_unavailable, 400 from the validator) and pass through with their
 * codes; each API's middleware then writes them in its own shape. The few answers only these
 * APIs give (below) are CompatErrors: they carry their own status, as A1111 (422, FastAPI's
 * validation status) and OpenAI (404 model_not_found) clients expect, and may name the request
 * field at fault (A1111: FastAPI's `loc`; OpenAI: `param`).
 */
import type { Context, Middleware } from 'koa';
import type Router from '@koa/router';
import type { Logger } from '../infra/logging.js';
import { ApiError, ERROR_CATALOGUE, type ErrorCode } from '../tasks/errors.js';
import type { TaskRecord } from '../tasks/types.js';

/** Codes only the compat APIs answer with (`where: 'compat'` in the one catalogue). */
export type CompatCode = 'not_implemented' | 'timeout' | 'cancelled' | 'model_not_found';

export class CompatError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly field: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** A compat-only code with its own status. */
  static of(code: CompatCode, message: string, field: string | null = null): CompatError {
    return new CompatError(ERROR_CATALOGUE[code].status, code, message, field);
  }

  /** A bad field: 400 invalid_request (A1111 uses 422, FastAPI's validation status). */
  static field(field: string | null, message: string, status = 400): CompatError {
    return new CompatError(status, 'invalid_request', message, field);
  }
}

/** The error for a Failed task: its own catalogued code where the record has one, else task_failed. */
export function failedTaskError(rec: TaskRecord): ApiError {
  const code = rec.error_code;
  const known = code !== null && code in ERROR_CATALOGUE ? (code as ErrorCode) : 'task_failed';
  return new ApiError(known, `The task failed: ${rec.error_info ?? 'no reason recorded'} (ticket ${rec.ticket_id}).`);
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
  if (err instanceof ApiError || err instanceof CompatError) {
    return { status: err.status, code: err.code, message: err.message, field: err instanceof CompatError ? err.field : null, headers: err.headers };
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
        throw new ApiError('method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}; allowed: ${ctx.response.get('Allow')}.`);
      }
      if (ctx.status === 404 && ctx.body === undefined) throw new ApiError('not_found', `No route for ${ctx.method} ${ctx.path} on this server.`);
    } catch (err) {
      const shaped = toShaped(err, ctx, log);
      ctx.status = shaped.status;
      ctx.set(shaped.headers);
      write(ctx, shaped);
    }
  };
}
