/**
 * One webhook POST under the same SSRF rules as image URLs: the host is resolved and checked
 * (resolveChecked), then the connection is pinned to exactly that address, so a second DNS
 * answer cannot redirect it. Redirects are not followed: a receiver that moved should be
 * re-registered, not chased.
 */
import type { UrlAllowlist } from '../infra/net/address-policy.js';
import { pinnedRequest, resolveChecked, type HostResolver } from '../infra/net/resolve-target.js';

export interface PostOutcome {
  status: number;
}

export async function postJsonPinned(
  rawUrl: string,
  body: string,
  headers: Record<string, string>,
  allowlist: UrlAllowlist,
  resolver: HostResolver,
  timeoutMs: number,
): Promise<PostOutcome> {
  const url = new URL(rawUrl);
  const target = await resolveChecked(url.hostname, allowlist, resolver, 'callback_url');
  return new Promise<PostOutcome>((resolve, reject) => {
    const req = pinnedRequest(url, target, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      signal: AbortSignal.timeout(timeoutMs),
    });
    req.on('error', reject);
    req.on('response', (res) => {
      // The answer's body means nothing to us; read and drop it so the socket closes cleanly.
      res.on('error', () => undefined);
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.end(body);
  });
}
