import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { forbiddenReason, parseAddress, type UrlAllowlist } from './address-policy.js';
import { InvalidImageError } from '../../tasks/invalid-image-error.js';

/**
 * The policy refused the address (not a lookup failure): retrying cannot help, so a webhook to it
 * is dropped at once rather than retried.
 */
export class AddressRefusedError extends InvalidImageError {}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
  /**
   * Set by resolveChecked when the address is one the policy refuses by default and only the
   * operator's allowlist lets through: failures there must not tell a caller more than "failed".
   */
  internal?: boolean;
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
      throw new InvalidImageError(field, `host "${host}" could not be resolved`, { cause: err });
    }
    if (addresses.length === 0) {
      throw new InvalidImageError(field, `host "${host}" has no addresses`);
    }
  }
  let internal = false;
  for (const { address } of addresses) {
    const reason = forbiddenReason(address);
    if (reason === null) continue;
    if (!allowlist.allows(host, address)) {
      // Neither the address nor its kind: a caller must not learn what an internal name points to.
      throw new AddressRefusedError(field, literal === null ? `host "${host}" is not allowed: its address is not one this server fetches from` : 'this address is not allowed');
    }
    internal = true;
  }
  return { ...addresses[0], internal };
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
