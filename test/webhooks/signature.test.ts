/** Signature format, the receiver-side check, and the README's verification recipe against real headers. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signatureHeader, verifySignature } from '../../src/webhooks/signature.js';

// The recipe printed in README.md ("Webhooks"), kept identical here so it is known to work.
function readmeVerify(secret: string, header: string, rawBody: string, toleranceS = 300) {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2))) as Record<string, string | undefined>;
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceS) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');
  return parts.v1?.length === expected.length && timingSafeEqual(Buffer.from(parts.v1), Buffer.from(expected));
}

describe('webhook signatures', () => {
  const body = JSON.stringify({ status: 'Completed', ticket_id: 'abc' });
  const now = Math.floor(Date.now() / 1000);

  it('matches an independently computed HMAC-SHA256 over "<t>.<body>"', () => {
    const h = signatureHeader('s3cret', body, 1_700_000_000);
    const mac = createHmac('sha256', 's3cret').update(`1700000000.${body}`).digest('hex');
    expect(h).toBe(`t=1700000000,v1=${mac}`);
  });

  it('verifies genuine, fresh signatures only', () => {
    const h = signatureHeader('s3cret', body, now);
    expect(verifySignature('s3cret', h, body)).toBe(true);
    expect(readmeVerify('s3cret', h, body)).toBe(true);
    expect(verifySignature('other', h, body)).toBe(false);
    expect(readmeVerify('other', h, body)).toBe(false);
    expect(verifySignature('s3cret', h, body + ' ')).toBe(false);
    const old = signatureHeader('s3cret', body, now - 3600);
    expect(verifySignature('s3cret', old, body)).toBe(false);
    expect(readmeVerify('s3cret', old, body)).toBe(false);
    expect(verifySignature('s3cret', 'garbage', body)).toBe(false);
    expect(readmeVerify('s3cret', 'garbage', body)).toBe(false);
    // A second v1 (key rotation) is accepted if either matches.
    expect(verifySignature('s3cret', `${h},v1=${'0'.repeat(64)}`, body)).toBe(true);
  });
});
