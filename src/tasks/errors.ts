/**
 * Errors that carry a stable machine code and an HTTP status. One Koa middleware maps any
 * of them to `{error, message}`; anything else becomes a 500 internal_error with no detail.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string) => new ApiError(400, code, message);
export const notFound = (message: string) => new ApiError(404, 'not_found', message);
export const conflict = (message: string) => new ApiError(409, 'conflict', message);
export const queueFull = (message: string, retryAfterS: number) =>
  new ApiError(429, 'queue_full', message, { 'Retry-After': String(retryAfterS) });
export const modelUnavailable = (message: string) => new ApiError(503, 'model_unavailable', message);
export const storeUnavailable = (message: string) => new ApiError(503, 'store_unavailable', message);
