/**
 * Every error code a client can see, in one catalogue: the HTTP status it answers with, where it
 * appears (an HTTP answer `{error, message}`, or the `error_code` of a Failed task), and what it
 * means. The error middleware, the OpenAPI `error` enum and the README's error table all read this
 * list (a test compares the README with it), so a code cannot exist in one place only.
 */

interface ErrorSpec {
  /** The HTTP status of an answer with this code (for task-only codes: the status it would have). */
  readonly status: number;
  /**
   * `request`: an HTTP answer of the task API; `task`: a Failed task's error_code; `both`: either;
   * `compat`: answered only by the A1111 / OpenAI compatible routes (in their own error shapes).
   */
  readonly where: 'request' | 'task' | 'both' | 'compat';
  /** One line for the docs and the README table. */
  readonly meaning: string;
}

export const ERROR_CATALOGUE = {
  invalid_json: { status: 400, where: 'request', meaning: 'the body is not valid JSON (or not UTF-8, or cut short)' },
  invalid_request: { status: 400, where: 'request', meaning: 'a field is missing, unknown or out of bounds; the message names it' },
  unknown_task_type: { status: 400, where: 'request', meaning: 'task_type is not one this server knows' },
  invalid_image: { status: 400, where: 'both', meaning: 'an input image could not be fetched or decoded, or its address is not allowed' },
  invalid_video: { status: 400, where: 'both', meaning: 'an input video is not a video ffmpeg can read, or is over the duration, frame or pixel limits; the message says which' },
  malformed_request: { status: 400, where: 'request', meaning: 'the HTTP request itself could not be parsed (request line, headers or framing)' },
  unauthorized: { status: 401, where: 'request', meaning: 'an API key is required, or the one sent is not valid' },
  forbidden: { status: 403, where: 'request', meaning: 'the API key belongs to another user_id, or model management needs an admin key (BACKSERV_ADMIN_KEYS) and this is not one' },
  licence_not_accepted: { status: 400, where: 'request', meaning: 'installing this model needs its licence accepted: send {"accept_licence": true} after reading it' },
  not_found: { status: 404, where: 'request', meaning: 'no such route, ticket (or not yours, or deleted by retention) or result file' },
  method_not_allowed: { status: 405, where: 'request', meaning: 'the route exists, not with this method (see the Allow header)' },
  request_timeout: { status: 408, where: 'request', meaning: 'the headers or the body did not arrive in time (a pause over BACKSERV_BODY_TIMEOUT_MS, or slower than BACKSERV_BODY_MIN_BYTES_PER_S)' },
  conflict: { status: 409, where: 'request', meaning: 'the task is already final (cancel of a finished task)' },
  idempotency_key_in_use: { status: 409, where: 'request', meaning: 'a request with this Idempotency-Key is still being handled' },
  install_in_progress: { status: 409, where: 'request', meaning: 'a model install is already running (one at a time), or the model being deleted is being installed' },
  idempotency_key_reused: { status: 409, where: 'request', meaning: 'this Idempotency-Key was used with a different body' },
  payload_too_large: { status: 413, where: 'request', meaning: 'the body is over BACKSERV_BODY_LIMIT_BYTES, or its JSON apart from strings over 64 KiB is over 1 MiB' },
  unsupported_media_type: { status: 415, where: 'request', meaning: 'the body is not sent as application/json' },
  range_not_satisfiable: { status: 416, where: 'request', meaning: 'the Range header is outside the result file' },
  queue_full: { status: 429, where: 'request', meaning: 'the queue (all users, or this user) is at its cap; see Retry-After' },
  rate_limited: { status: 429, where: 'request', meaning: "over this user's submits per minute; see Retry-After" },
  too_many_connections: { status: 429, where: 'request', meaning: 'this client address already has BACKSERV_MAX_CONNECTIONS_PER_CLIENT connections open; see Retry-After' },
  headers_too_large: { status: 431, where: 'request', meaning: 'the request line and headers are over the server\'s limit' },
  internal_error: { status: 500, where: 'both', meaning: 'a fault of the server; the log has the details, the answer none' },
  method_not_implemented: { status: 501, where: 'request', meaning: 'the HTTP method is not one this server implements (CONNECT, PROPFIND, …)' },
  model_unavailable: { status: 503, where: 'both', meaning: 'the models this task needs are not installed; the message names the install command' },
  model_source_refused: { status: 502, where: 'request', meaning: 'a manifest URL of the model may not be fetched by the server (not https; plain http only to 127.0.0.1 with BACKSERV_MODELS_ALLOW_HTTP=1)' },
  store_unavailable: { status: 503, where: 'request', meaning: 'the task store (Redis) or the input store (S3) is unreachable; retry' },
  server_busy: { status: 503, where: 'request', meaning: 'too many request bytes are being received at once (BACKSERV_MAX_INFLIGHT_BODY_BYTES); see Retry-After' },
  invalid_params: { status: 400, where: 'task', meaning: 'the parameters cannot work with the installed model (found when it ran)' },
  model_error: { status: 500, where: 'task', meaning: 'the model returned something the pipeline cannot use' },
  model_incompatible: { status: 500, where: 'task', meaning: 'the installed model does not have the signature the pipeline needs' },
  model_load_failed: { status: 500, where: 'task', meaning: 'an installed model file could not be loaded (damaged, or not an ONNX model this runtime can run)' },
  storage_failed: { status: 500, where: 'task', meaning: 'the result could not be written or published to its storage' },
  ffmpeg_failed: { status: 500, where: 'task', meaning: 'ffmpeg could not encode the video' },
  ffmpeg_unavailable: { status: 503, where: 'task', meaning: 'no ffmpeg binary could be found on this worker' },
  worker_crashed: { status: 500, where: 'task', meaning: 'the worker running the task died; the task was not retried again' },
  image_too_large: { status: 400, where: 'task', meaning: 'the output would be over the size limit of this server (BACKSERV_UPSCALE_MAX_OUTPUT_PIXELS)' },
  task_failed: { status: 422, where: 'task', meaning: 'the task cannot be done with these inputs (e.g. no face found); the message says why' },
  not_implemented: { status: 501, where: 'compat', meaning: 'the route is not available here (OpenAI image variations)' },
  timeout: { status: 504, where: 'compat', meaning: 'the images were not ready within BACKSERV_COMPAT_WAIT_MS; their tasks were cancelled' },
  cancelled: { status: 409, where: 'compat', meaning: 'the task was cancelled (interrupt, skip, cancel_task) before it made an image' },
  model_not_found: { status: 404, where: 'compat', meaning: 'OpenAI: the model named is neither an OpenAI image model nor an installed one' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

/** Codes an HTTP answer of the task API can carry (the OpenAPI `error` enum). */
export const REQUEST_ERROR_CODES = ERROR_CODES.filter((c) => {
  const where: ErrorSpec['where'] = ERROR_CATALOGUE[c].where;
  return where === 'request' || where === 'both';
});

/**
 * An error with a catalogued code; the middleware answers it with the catalogue's status and
 * `{error: code, message}`. The message is shown to the client, so it must not carry paths or
 * internal detail.
 */
export class ApiError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = ERROR_CATALOGUE[code].status;
  }
}

export const badRequest = (code: 'invalid_json' | 'invalid_request' | 'unknown_task_type' | 'invalid_image' | 'invalid_video', message: string) => new ApiError(code, message);
export const notFound = (message: string) => new ApiError('not_found', message);
export const conflict = (message: string) => new ApiError('conflict', message);
export const queueFull = (message: string, retryAfterS: number) =>
  new ApiError('queue_full', message, { 'Retry-After': String(retryAfterS) });
export const modelUnavailable = (message: string) => new ApiError('model_unavailable', message);
export const storeUnavailable = (message: string) => new ApiError('store_unavailable', message);
