/**
 * The one error path: ApiError → its status and `{error, message}`; anything else → 500, logged,
 * no detail. An error answer to a request whose body was not read closes the connection, so the
 * client stops uploading instead of the server reading the rest to keep the connection.
 */
import type { Middleware } from 'koa';
import type { IncomingMessage } from 'node:http';
import { ApiError, type ErrorCode } from '../tasks/errors.js';
import type { Logger } from '../infra/logging.js';

export function errorMiddleware(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new ApiError('not_found', `No route for ${ctx.method} ${ctx.path}.`);
      }
      if (ctx.status === 405 && ctx.body === undefined) {
        throw new ApiError('method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}; allowed: ${ctx.response.get('Allow')}.`);
      }
      if (ctx.status === 501 && ctx.body === undefined) {
        throw new ApiError('method_not_implemented', `The method ${ctx.method} is not implemented by this server.`);
      }
    } catch (err) {
      if (hasUnreadBody(ctx.req)) ctx.set('Connection', 'close');
      if (err instanceof ApiError) {
        ctx.status = err.status;
        ctx.set(err.headers);
        ctx.body = { error: err.code, message: err.message };
        return;
      }
      // Koa's own errors (e.g. from ctx.throw) carry a status and an exposable message.
      const e = err as { status?: number; expose?: boolean; message?: string };
      if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose) {
        ctx.status = e.status;
        ctx.body = { error: 'invalid_request' satisfies ErrorCode, message: e.message ?? 'Bad request' };
        return;
      }
      log.error({ err, method: ctx.method, path: ctx.path }, 'unhandled error');
      ctx.status = 500;
      ctx.body = { error: 'internal_error' satisfies ErrorCode, message: 'Internal error; the server log has the details.' };
    }
  };
}

function hasUnreadBody(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const length = Number(req.headers['content-length'] ?? 0);
  return length > 0 || req.headers['transfer-encoding'] !== undefined;
}
