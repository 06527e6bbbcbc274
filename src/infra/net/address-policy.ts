import ipaddr from 'ipaddr.js';

type IPv4 = ipaddr.IPv4;
type IPv6 = ipaddr.IPv6;

/**
 * Which addresses an image URL may reach. We allow only what ipaddr.js classifies as plain
 * global unicast; every special range (loopback, private, link-local, which holds the cloud
 * metadata endpoint 169.254.169.254, CGNAT, multicast, reserved, ...) is refused. IPv6 forms that
 * carry an IPv4 address (mapped, NAT64, 6to4) are judged by the IPv4 address they carry, so
 * `::ffff:127.0.0.1` is as loopback as `127.0.0.1`.
 */

const V4_WORDS: Record<string, string> = {
  private: 'private',
  loopback: 'loopback',
  linkLocal: 'link-local (cloud metadata range)',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  carrierGradeNat: 'carrier-grade NAT (shared address space)',
  reserved: 'reserved',
};

const V6_WORDS: Record<string, string> = {
  loopback: 'loopback',
  unspecified: 'unspecified',
  linkLocal: 'link-local',
  uniqueLocal: 'unique-local (private)',
  multicast: 'multicast',
  deprecatedSiteLocal: 'site-local (private)',
  teredo: 'a Teredo tunnel address',
  reserved: 'reserved',
};

/** Parses an address as printed by dns.lookup or a URL host ("[::1]" too); null if it is not one. */
export function parseAddress(ip: string): IPv4 | IPv6 | null {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  if (!ipaddr.isValid(bare)) return null;
  return ipaddr.parse(bare);
}

function v4FromLast32(parts: number[], hi: number, lo: number): IPv4 {
  return new ipaddr.IPv4([parts[hi] >> 8, parts[hi] & 0xff, parts[lo] >> 8, parts[lo] & 0xff]);
}

function v4Reason(addr: IPv4): string | null {
  const range = addr.range();
  if (range === 'unicast') return null;
  return V4_WORDS[range] ?? `special-purpose (${range})`;
}

function v6Reason(addr: IPv6): string | null {
  const range = addr.range();
  const parts = addr.parts;
  switch (range) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return embedded('IPv4-mapped', v4FromLast32(parts, 6, 7));
    case 'rfc6052':
      // Only the well-known NAT64 prefix /96 holds a translatable public address; the
      // local-use 64:ff9b:1::/48 leads into someone's own network.
      if (parts[2] === 0 && parts[3] === 0 && parts[4] === 0 && parts[5] === 0) {
        return embedded('NAT64', v4FromLast32(parts, 6, 7));
      }
      return 'local-use NAT64';
    case '6to4':
      return embedded('6to4', v4FromLast32(parts, 1, 2));
    case 'unicast':
      // ::a.b.c.d (deprecated IPv4-compatible): no legitimate server uses it.
      if (parts.slice(0, 6).every((p) => p === 0)) return 'IPv4-compatible (deprecated)';
      return null;
    default:
      return V6_WORDS[range] ?? `special-purpose (${range})`;
  }
}

function embedded(kind: string, v4: IPv4): string | null {
  const reason = v4Reason(v4);
  return reason === null ? null : `${kind} ${reason} (${v4.toString()})`;
}

/**
 * Why `ip` must not be fetched from, in words for an error message ("private", "loopback", ...),
 * or null if it is a public unicast address. Anything that does not parse is refused.
 */
export function forbiddenReason(ip: string): string | null {
  const addr = parseAddress(ip);
  if (addr === null) return 'not a valid IP address';
  return addr.kind() === 'ipv4' ? v4Reason(addr as IPv4) : v6Reason(addr as IPv6);
}

export function isForbiddenAddress(ip: string): boolean {
  return forbiddenReason(ip) !== null;
}

/**
 * BACKSERV_URL_ALLOWLIST: hosts an operator lets image URLs reach even though their addresses
 * are private (an internal image store; the tests' 127.0.0.1 server). Entries are hostnames
 * (exact, case-insensitive), IP addresses, or CIDRs, separated by commas.
 */
export interface UrlAllowlist {
  /** True if the URL host name, or the address it resolved to, is listed. */
  allows(host: string, ip: string): boolean;
  readonly size: number;
}

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*$/;

function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

function parseEntry(entry: string, hosts: Set<string>, cidrs: Cidr[]): void {
  const e = normalizeHost(entry);
  if (e.includes('/')) {
    if (!ipaddr.isValidCIDR(e)) throw badEntry(entry);
    cidrs.push(ipaddr.parseCIDR(e));
    return;
  }
  const addr = parseAddress(e);
  if (addr !== null) {
    cidrs.push([addr, addr.kind() === 'ipv4' ? 32 : 128]);
    return;
  }
  if (!HOSTNAME.test(e)) throw badEntry(entry);
  hosts.add(e);
}

function badEntry(entry: string): Error {
  return new Error(
    `BACKSERV_URL_ALLOWLIST: "${entry}" is not a hostname, an IP address or a CIDR (e.g. 10.0.0.0/8)`,
  );
}

/** Throws on a malformed entry: a typo in an allowlist should stop the service, not be ignored. */
export function parseAllowlist(env: string | undefined): UrlAllowlist {
  const hosts = new Set<string>();
  const cidrs: Cidr[] = [];
  for (const entry of (env ?? '').split(',')) {
    if (entry.trim() !== '') parseEntry(entry, hosts, cidrs);
  }
  return {
    size: hosts.size + cidrs.length,
    allows(host: string, ip: string): boolean {
      if (hosts.has(normalizeHost(host))) return true;
      const bare = normalizeHost(ip);
      if (!ipaddr.isValid(bare)) return false;
      // process() turns ::ffff:a.b.c.d into a.b.c.d so one IPv4 entry covers both spellings.
      const addr = ipaddr.process(bare);
      return cidrs.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits));
    },
  };
}
