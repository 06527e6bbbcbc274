import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { forbiddenReason, parseAddress, type UrlAllowlist } from './address-policy.js';
import { InvalidImageError } from '../../tasks/invalid-image-error.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Name → every address it has. Injectable so tests can play a hostile DNS without one. */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: HostResolver = async (hostname) => {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

export function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/**
 * Resolves `hostname` and returns the address to connect to, refusing if ANY of its addresses is
 * forbidden: a name that mixes a public and a private address is an attack, not a mistake. The
 * caller must connect to exactly the returned address (not resolve the name again), or a
 * second, different DNS answer could reach what this check refused.
 */
export async function resolveChecked(
  hostname: string,
  allowlist: UrlAllowlist,
  resolver: HostResolver,
  field?: string,
): Promise<ResolvedAddress> {
  const host = bareHost(hostname);
  const literal = parseAddress(host);
  let addresses: ResolvedAddress[];
  if (literal !== null) {
    addresses = [{ address: host, family: literal.kind() === 'ipv4' ? 4 : 6 }];
  } else {
    try {
      addresses = await resolver(host);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'lookup failed';
      throw new InvalidImageError(field, `host "${host}" could not be resolved (${code})`, {
        cause: err,
      });
    }
    if (addresses.length === 0) {
      throw new InvalidImageError(field, `host "${host}" has no addresses`);
    }
  }
  for (const { address } of addresses) {
    if (allowlist.allows(host, address)) continue;
    const reason = forbiddenReason(address);
    if (reason !== null) {
      const via = literal === null ? ` (host "${host}" resolves to it)` : '';
      throw new InvalidImageError(field, `address ${address} is ${reason} and not allowed${via}`);
    }
  }
  return addresses[0];
}

/**
 * A request to `url` that connects to exactly `target` (what resolveChecked approved), never to
 * a fresh DNS answer for the name, on a socket of its own: a pooled one could carry it to
 * another host. TLS still checks the certificate against the URL's name.
 */
export function pinnedRequest(
  url: URL,
  target: ResolvedAddress,
  options: { method: string; headers: http.OutgoingHttpHeaders; signal: AbortSignal },
): http.ClientRequest {
  const pinned: LookupFunction = (_name, opts, callback) => {
    if (opts.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  return (url.protocol === 'https:' ? https.request : http.request)({
    protocol: url.protocol,
    hostname: bareHost(url.hostname),
    port: url.port === '' ? undefined : Number(url.port),
    path: `${url.pathname}${url.search}`,
    ...options,
    agent: false,
    lookup: pinned,
  });
}
