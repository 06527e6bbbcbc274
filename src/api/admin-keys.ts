/**
 * Operator keys (BACKSERV_ADMIN_KEYS) for model management. Kept apart from the user keys of
 * auth.ts: a user key never manages models, and with no admin key configured model management
 * is off (403), so a server cannot be made to download gigabytes by whoever reaches it.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { ApiError } from '../tasks/errors.js';
import type { ApiKeys } from './auth.js';

function presentedKey(ctx: Context): string | null {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('authorization'))?.[1];
  return bearer ?? (ctx.get('x-api-key').trim() || null);
}

export class AdminKeys {
  private readonly keys: Buffer[];

  constructor(keys: readonly string[], private readonly users: ApiKeys) {
    this.keys = keys.map((k) => Buffer.from(k));
  }

  get enabled(): boolean {
    return this.keys.length > 0;
  }

  /** Whether the request carries one of the admin keys (constant time per key). */
  isAdmin(ctx: Context): boolean {
    const presented = presentedKey(ctx);
    if (presented === null) return false;
    const p = Buffer.from(presented);
    let found = false;
    for (const k of this.keys) if (k.length === p.length && timingSafeEqual(k, p)) found = true;
    return found;
  }

  /** Install, delete and install progress: 401 without a key, 403 with a key that is not an admin key. */
  requireAdmin(ctx: Context): void {
    if (!this.enabled) {
      throw new ApiError('forbidden', 'Model management over the API is off on this server: the operator sets BACKSERV_ADMIN_KEYS to turn it on.');
    }
    if (presentedKey(ctx) === null) {
      throw new ApiError('unauthorized', 'Model management needs an admin key: send "Authorization: Bearer <admin key>" or "X-API-Key: <admin key>".',
        { 'WWW-Authenticate': 'Bearer realm="backserv-admin"' });
    }
    if (!this.isAdmin(ctx)) {
      if (this.users.userForKey(presentedKey(ctx) as string) !== null) throw new ApiError('forbidden', 'This is a user key; model management needs an admin key (BACKSERV_ADMIN_KEYS).');
      throw new ApiError('unauthorized', 'The admin key is not valid.', { 'WWW-Authenticate': 'Bearer realm="backserv-admin", error="invalid_token"' });
    }
  }

  /** GET /models: anyone when user keys are off, else a user key or an admin key. */
  requireReader(ctx: Context): void {
    if (this.isAdmin(ctx)) return;
    this.users.caller(ctx);
  }
}
