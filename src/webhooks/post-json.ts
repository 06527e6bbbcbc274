/**
 * One webhook POST under the same SSRF rules as image URLs: the host is resolved and checked
 * (resolveChecked), then the connection is pinned to exactly that address, so a second DNS
 * answer cannot redirect it. Redirects are not followed: a receiver that moved should be
 * re-registered, not chased.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { UrlAllowlist } from '../imaging/address-policy.js';
import { bareHost, resolveChecked, type HostResolver } from '../imaging/resolve-target.js';

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
  const pinned: LookupFunction = (_name, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise<PostOutcome>((resolve, reject) => {
    const req = request({
      protocol: url.protocol,
      hostname: bareHost(url.hostname),
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      agent: false,
      lookup: pinned,
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
