/**
 * A failure as the client may see it: what it reads in error_info is the failure's catalogued
 * meaning, or the message of an error thrown for the user on purpose; the rest goes to `detail`
 * (the log only).
 */
import { ERROR_CATALOGUE, type ErrorCode } from '../tasks/errors.js';
import { InvalidImageError } from '../tasks/invalid-image-error.js';
import { TaskError } from '../tasks/task-errors.js';
import type { WorkerResponse } from './messages.js';

/**
 * What the client reads in error_info is the failure's catalogued meaning, or the message of an
 * error thrown for the user on purpose (TaskError, InvalidImageError). Anything else (a library's
 * message, a path, a PID) goes to `detail`, which the main thread logs with the ticket id and
 * never stores.
 */
export function describeFailure(err: unknown): WorkerResponse {
  const detail = describeCause(err);
  if (err instanceof TaskError || err instanceof InvalidImageError) {
    return { ok: false, cancelled: false, message: err.message, code: err.code, detail };
  }
  const code = internalCode(err);
  return { ok: false, cancelled: false, message: `${clientText(code)}.`, code, detail };
}

/** A file-system failure while writing the result is storage; anything else is the server's fault. */
function internalCode(err: unknown): ErrorCode {
  const e = err as { code?: unknown; syscall?: unknown };
  if (typeof e?.syscall === 'string' && typeof e.code === 'string' && e.code.startsWith('E')) return 'storage_failed';
  return 'internal_error';
}

function clientText(code: ErrorCode): string {
  const meaning = ERROR_CATALOGUE[code].meaning;
  return meaning.charAt(0).toUpperCase() + meaning.slice(1);
}

function describeCause(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 4; depth++) {
    parts.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(' <- ');
}
