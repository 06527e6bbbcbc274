/**
 * One signed webhook POST: the body is the task's query_task view; the headers name the ticket,
 * the event and the attempt, and carry the HMAC signature over the timestamp and body.
 */
import type { UrlAllowlist } from '../infra/net/address-policy.js';
import type { HostResolver } from '../infra/net/resolve-target.js';
import type { WebhookEvent } from '../tasks/webhook-event.js';
import { postJsonPinned } from './post-json.js';
import { SIGNATURE_HEADER, signatureHeader } from './signature.js';

export interface SenderConfig {
  secret: string;
  allowlist: UrlAllowlist;
  resolver: HostResolver;
  timeoutMs: number;
  /** This node's name (BACKSERV_SERV_NAME), sent in the User-Agent so operators can tell who called. */
  nodeName: string;
}

/** Resolves to the receiver's HTTP status; rejects on network errors, timeouts and SSRF refusals. */
export async function sendWebhook(c: SenderConfig, url: string, ticketId: string, event: WebhookEvent, attempt: number, body: string): Promise<number> {
  const headers = {
    [SIGNATURE_HEADER]: signatureHeader(c.secret, body, Math.floor(Date.now() / 1000)),
    'X-Backserv-Ticket': ticketId,
    'X-Backserv-Event': event,
    'X-Backserv-Attempt': String(attempt),
    'User-Agent': `Back.Serv webhooks (${c.nodeName})`,
  };
  return (await postJsonPinned(url, body, headers, c.allowlist, c.resolver, c.timeoutMs)).status;
}
