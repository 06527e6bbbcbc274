import { describe, expect, it } from 'vitest';
import { forbiddenReason, isForbiddenAddress, parseAllowlist } from '../../src/infra/net/address-policy.js';

describe('isForbiddenAddress', () => {
  const forbidden: Array<[string, RegExp]> = [
    ['127.0.0.1', /loopback/],
    ['127.255.0.9', /loopback/],
    ['10.1.2.3', /private/],
    ['172.16.0.1', /private/],
    ['172.31.255.254', /private/],
    ['192.168.1.1', /private/],
    ['169.254.169.254', /link-local/],
    ['0.0.0.0', /unspecified/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['224.0.0.1', /multicast/],
    ['255.255.255.255', /broadcast/],
    ['192.0.2.1', /reserved/],
    ['240.0.0.1', /reserved/],
    ['::1', /loopback/],
    ['[::1]', /loopback/],
    ['::', /unspecified/],
    ['fe80::1', /link-local/],
    ['fe80::1%eth0', /link-local/],
    ['fc00::1', /unique-local/],
    ['fd12:3456::1', /unique-local/],
    ['ff02::1', /multicast/],
    ['::ffff:127.0.0.1', /IPv4-mapped loopback/],
    ['[::ffff:127.0.0.1]', /IPv4-mapped loopback/],
    ['::ffff:7f00:1', /IPv4-mapped loopback/],
    ['::ffff:a9fe:a9fe', /IPv4-mapped link-local .*169\.254\.169\.254/],
    ['::ffff:10.0.0.1', /IPv4-mapped private/],
    ['64:ff9b::10.0.0.1', /NAT64 private/],
    ['64:ff9b::7f00:1', /NAT64 loopback/],
    ['64:ff9b:1::1', /local-use NAT64/],
    ['2002:c0a8:0101::1', /6to4 private \(192\.168\.1\.1\)/],
    ['2002:7f00:1::', /6to4 loopback/],
    ['::7f00:1', /IPv4-compatible/],
    ['2001::1', /Teredo/],
    ['2001:db8::1', /reserved/],
    ['not-an-ip', /not a valid IP/],
    ['', /not a valid IP/],
  ];
  it.each(forbidden)('refuses %s', (ip, why) => {
    expect(isForbiddenAddress(ip)).toBe(true);
    expect(forbiddenReason(ip)).toMatch(why);
  });

  const allowed = ['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '100.128.0.1',
    '2606:4700::1', '2a00:1450:4001:81c::200e', '::ffff:8.8.8.8', '64:ff9b::8.8.8.8', '2002:0808:0808::1'];
  it.each(allowed)('allows public %s', (ip) => {
    expect(forbiddenReason(ip)).toBeNull();
    expect(isForbiddenAddress(ip)).toBe(false);
  });
});

describe('parseAllowlist', () => {
  it('is empty for unset or blank values and allows nothing', () => {
    for (const env of [undefined, '', ' , ,']) {
      const list = parseAllowlist(env);
      expect(list.size).toBe(0);
      expect(list.allows('localhost', '127.0.0.1')).toBe(false);
    }
  });

  it('matches single addresses, CIDRs and both spellings of mapped IPv4', () => {
    const list = parseAllowlist('127.0.0.1, 10.0.0.0/8,fd00::/8 ,[::1]');
    expect(list.size).toBe(4);
    expect(list.allows('x', '127.0.0.1')).toBe(true);
    expect(list.allows('x', '::ffff:127.0.0.1')).toBe(true);
    expect(list.allows('x', '127.0.0.2')).toBe(false);
    expect(list.allows('x', '10.200.3.4')).toBe(true);
    expect(list.allows('x', '11.0.0.1')).toBe(false);
    expect(list.allows('x', 'fd00:1::5')).toBe(true);
    expect(list.allows('x', 'fe80::1')).toBe(false);
    expect(list.allows('x', '::1')).toBe(true);
    expect(list.allows('x', 'garbage')).toBe(false);
  });

  it('matches host names exactly, ignoring case and a trailing dot', () => {
    const list = parseAllowlist('images.internal,Store.Example.COM');
    expect(list.allows('images.internal', '10.9.9.9')).toBe(true);
    expect(list.allows('IMAGES.internal.', '10.9.9.9')).toBe(true);
    expect(list.allows('store.example.com', '192.168.0.3')).toBe(true);
    expect(list.allows('evil.images.internal', '10.9.9.9')).toBe(false);
    expect(list.allows('images.internal.evil.com', '10.9.9.9')).toBe(false);
  });

  it.each(['10.0.0.0/33', 'http://x', 'a b', '1.2.3.4/abc', '-bad-.com/'])(
    'rejects the malformed entry %s naming it',
    (entry) => {
      expect(() => parseAllowlist(`127.0.0.1,${entry}`)).toThrow(
        new RegExp(`BACKSERV_URL_ALLOWLIST: "${entry.replace(/[.*+?/]/g, '\\$&')}"`),
      );
    },
  );
});
