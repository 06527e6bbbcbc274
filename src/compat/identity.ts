/**
 * Who is calling a compat route, which decides the fair-queue lane and whose tasks progress,
 * interrupt and options touch. With API keys (BACKSERV_API_KEYS) the key decides: OpenAI
 * clients send `Authorization: Bearer <key>`; A1111 clients send HTTP Basic (`--api-auth
 * user:password`; the password or, without one, the user name is the key) or Bearer. Without
 * keys, OpenAI's `user` field names the lane, else the client's address does.
 */
import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import type { ApiKeys } from '../api/auth.js';
import { ApiError } from '../tasks/errors.js';

const USER_ID = /^[\x21-\x7e]{1,128}$/;

/** A lane name from a client-chosen string: kept when it is a valid user_id, else a stable digest of it. */
export function laneFor(value: string): string {
  return USER_ID.test(value) ? value : `user-${createHash('sha256').update(value).digest('hex').slice(0, 16)}`;
}

/** The socket's address (no proxy headers are trusted), without the IPv4-mapped prefix. */
export function addressLane(ctx: Context): string {
  const ip = (ctx.request.ip || ctx.req.socket.remoteAddress || 'unknown').replace(/^::ffff:/, '');
  return laneFor(`ip:${ip}`);
}

function basicCredentials(header: string): string[] | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  const user = i < 0 ? decoded : decoded.slice(0, i);
  const password = i < 0 ? '' : decoded.slice(i + 1);
  return [password, user, decoded].filter((c) => c !== '');
}

/** A1111 callers: Basic or Bearer when keys are on; the client address otherwise. */
export function a1111Caller(ctx: Context, keys: ApiKeys): string {
  if (!keys.enabled) return addressLane(ctx);
  const header = ctx.get('authorization');
  const basic = basicCredentials(header);
  if (basic === null) {
    if (/^Bearer\s/i.test(header) || ctx.get('x-api-key')) return keys.caller(ctx)!;
    // A1111 behind --api-auth challenges with Basic; so do we, as its clients expect.
    throw new ApiError('unauthorized', 'This server requires credentials: HTTP Basic with one of its API keys as the password, or "Authorization: Bearer <key>".',
      { 'WWW-Authenticate': 'Basic realm="backserv"' });
  }
  for (const candidate of basic) {
    const user = keys.userForKey(candidate);
    if (user !== null) return user;
  }
  throw new ApiError('unauthorized', 'The credentials are not valid: use an API key of this server as the password.',
    { 'WWW-Authenticate': 'Basic realm="backserv"' });
}

/** OpenAI callers: the Bearer key's user when keys are on; else `user`, else the client address. */
export function openaiCaller(ctx: Context, keys: ApiKeys, user: unknown): string {
  if (keys.enabled) return keys.caller(ctx)!;
  return typeof user === 'string' && user.trim() !== '' ? laneFor(user.trim()) : addressLane(ctx);
}
