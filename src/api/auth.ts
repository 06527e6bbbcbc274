/**
 * Optional API keys (BACKSERV_API_KEYS). With none configured every request is anonymous and the
 * seed behaviour holds (user_id is whatever the client says). With keys, a request to a task
 * endpoint must carry one (`Authorization: Bearer KEY` or `X-API-Key: KEY`), and the key decides
 * who the caller is.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { ApiError, notFound } from '../tasks/errors.js';

export class ApiKeys {
  constructor(private readonly keys: ReadonlyMap<string, string>) {}

  get enabled(): boolean {
    return this.keys.size > 0;
  }

  /** The caller's user_id; null when keys are off. Throws 401 when keys are on and none matches. */
  caller(ctx: Context): string | null {
    if (!this.enabled) return null;
    const auth = ctx.get('authorization');
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1];
    const presented = bearer ?? (ctx.get('x-api-key').trim() || null);
    if (!presented) {
      throw new ApiError('unauthorized', 'This server requires an API key: send "Authorization: Bearer <key>" or "X-API-Key: <key>".',
        { 'WWW-Authenticate': 'Bearer realm="backserv"' });
    }
    const user = this.lookup(presented);
    if (user === null) {
      throw new ApiError('unauthorized', 'The API key is not valid.', { 'WWW-Authenticate': 'Bearer realm="backserv", error="invalid_token"' });
    }
    return user;
  }

  /** The submitter may only act as the key's own user. */
  checkSubmitter(caller: string | null, userId: string): void {
    if (caller !== null && caller !== userId) {
      throw new ApiError('forbidden', `This API key belongs to user_id ${caller}; it cannot submit tasks as ${userId}.`);
    }
  }

  /**
   * Another user's task is reported exactly like a missing one (404), so ticket ids of other
   * users cannot even be confirmed to exist.
   */
  checkOwner(caller: string | null, owner: string, ticketId: string): void {
    if (caller !== null && caller !== owner) throw notFound(`No task with ticket_id ${ticketId}.`);
  }

  /** The user a presented key belongs to, or null (for credentials carried another way, e.g. HTTP Basic). */
  userForKey(presented: string): string | null {
    return this.lookup(presented);
  }

  private lookup(presented: string): string | null {
    // Compare against every key in constant time per key, so timing does not reveal prefixes.
    const p = Buffer.from(presented);
    let found: string | null = null;
    for (const [key, user] of this.keys) {
      const k = Buffer.from(key);
      if (k.length === p.length && timingSafeEqual(k, p)) found = user;
    }
    return found;
  }
}
