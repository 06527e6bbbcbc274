/**
 * What runs before the seed submit handler: API key, body reading (long strings go to the input
 * store, see body/read-body.ts) and validation, the callback_url rules, Idempotency-Key replay
 * and the per-user rate limit. It leaves the validated body in `ctx.state.submitBody` (image
 * fields that went to the input store hold input references) and the read body in
 * `ctx.state.spilledBody` for the handler, which calls keep() on it once the task exists;
 * otherwise the stored inputs are deleted when the request ends. Afterwards it records the
 * response for replay and registers the webhook.
 */
import type { IdempotencyClaim } from '../store/idempotency-record.js';
import { createHash } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { ApiError, badRequest } from '../tasks/errors.js';
import { forbiddenReason, parseAddress, type UrlAllowlist } from '../infra/net/address-policy.js';
import type { ApiKeys } from './auth.js';
import type { SpilledBody } from './body/spilled-body.js';
import type { BodyReader } from './body/read-body.js';
import { imageFields } from './image-refs.js';
import type { Logger } from '../infra/logging.js';
import type { IdempotencyBackend } from './idempotency-store.js';
import type { SubmitLimiter } from './rate-limit.js';
import type { RequestValidator, SubmitBody } from './validate.js';
import type { WebhookEvent } from '../tasks/webhook-event.js';

export interface SubmitGuardDeps {
  keys: ApiKeys;
  validator: RequestValidator;
  bodyReader: BodyReader;
  idempotency: IdempotencyBackend;
  limiter: SubmitLimiter;
  webhooksEnabled: boolean;
  allowlist: UrlAllowlist;
  /** Called once the task exists, before the 202 goes out (the registration is durable by then); the URL was checked here. */
  onCallback(ticketId: string, callbackUrl: string, baseUrl: string, events: readonly WebhookEvent[]): Promise<void>;
  baseUrl(ctx: Context): string;
  log: Logger;
}

const KEY = /^[\x21-\x7e]{1,255}$/;

function checkCallbackUrl(raw: string, allowlist: UrlAllowlist): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badRequest('invalid_request', 'callback_url is not a valid URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest('invalid_request', 'callback_url must be an http or https URL.');
  if (url.username || url.password) throw badRequest('invalid_request', 'callback_url must not carry credentials.');
  // Literal addresses can be judged now; names are resolved and checked again at delivery.
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (parseAddress(host) !== null && !allowlist.allows(host, host)) {
    const reason = forbiddenReason(host);
    if (reason !== null) throw badRequest('invalid_request', `callback_url points to a ${reason} address, which this server does not call.`);
  }
}

export function submitGuard(deps: SubmitGuardDeps): Middleware {
  // Two concurrent requests with one key must not both create a task: the second waits for the first.

  return async (ctx, next) => {
    const caller = deps.keys.caller(ctx);
    const spilled = await deps.bodyReader.read(ctx);
    try {
      await guarded(ctx, next, caller, spilled);
    } finally {
      // Nothing refers to the stored inputs unless the handler created the task.
      await spilled.discard();
    }
  };

  async function guarded(ctx: Context, next: () => Promise<unknown>, caller: ReturnType<ApiKeys['caller']>, spilled: SpilledBody): Promise<void> {
    const body: SubmitBody = deps.validator.submitBody(spilled.value);
    spilled.bindRefs(body.task_params, imageFields(body.task_type), body, 'task_params');
    deps.keys.checkSubmitter(caller, body.user_id);
    if (body.callback_events !== undefined && body.callback_url === undefined) {
      throw badRequest('invalid_request', 'callback_events needs a callback_url to send them to.');
    }
    if (body.callback_url !== undefined) {
      if (!deps.webhooksEnabled) {
        throw badRequest('invalid_request', 'callback_url is not accepted here: the operator has not set BACKSERV_WEBHOOK_SECRET, so webhooks could not be signed.');
      }
      checkCallbackUrl(body.callback_url, deps.allowlist);
    }
    ctx.state.submitBody = body;
    ctx.state.spilledBody = spilled;

    const key = ctx.get('idempotency-key');
    const run = async () => {
      await deps.limiter.take(body.user_id);
      await next();
      const ticket = (ctx.body as Record<string, unknown> | undefined)?.ticket_id;
      if (ctx.status === 202 && typeof ticket === 'string' && body.callback_url !== undefined) {
        await deps.onCallback(ticket, body.callback_url, deps.baseUrl(ctx), body.callback_events ?? ['completed']);
      }
    };
    if (key === '') return run();
    if (!KEY.test(key)) throw badRequest('invalid_request', 'Idempotency-Key must be 1–255 printable ASCII characters.');

    // Sorted keys and long strings by their hash (taken as they streamed): a retry that orders or
    // escapes fields differently is still the same request, and no big string is serialised again.
    const fingerprint = createHash('sha256').update(spilled.fingerprint(body)).digest('hex');
    // Wait while another request (on any node) holds this key, then replay or take it.
    let previous = await deps.idempotency.get(body.user_id, key);
    const deadline = Date.now() + 35_000;
    while (!previous && !(await deps.idempotency.claim(body.user_id, key))) {
      if (Date.now() > deadline) throw new ApiError('idempotency_key_in_use', 'A request with this Idempotency-Key is still being handled; retry shortly.');
      await new Promise((r) => setTimeout(r, 20));
      previous = await deps.idempotency.get(body.user_id, key);
    }
    if (!previous) {
      // The holder may have finished between our read and our claim: read once more.
      previous = await deps.idempotency.get(body.user_id, key);
      if (previous) await deps.idempotency.release(body.user_id, key);
    }
    if (previous) {
      if (previous.fingerprint !== fingerprint) {
        throw new ApiError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request body; use a new key for a new task.');
      }
      ctx.status = previous.status;
      ctx.set('Idempotent-Replayed', 'true');
      ctx.body = previous.body;
      return;
    }
    // The task store records the key in the same commit that creates the task (store/idempotency-record.ts).
    const claim: IdempotencyClaim = { key, fingerprint, ttlMs: deps.idempotency.ttlMs };
    ctx.state.idempotency = claim;
    try {
      await run();
    } finally {
      // A reservation that cannot be dropped lapses by itself; the request's own outcome stands.
      await deps.idempotency.release(body.user_id, key).catch(() => undefined);
    }
  }
}
