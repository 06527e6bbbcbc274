/** SigV4 against the examples AWS publishes for S3 (AKIAIOSFODNN7EXAMPLE, 2013-05-24). */
import { describe, expect, it } from 'vitest';
import { EMPTY_SHA256, presignGet, signRequest, uriEncode } from '../../src/results/sigv4.js';

const creds = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', region: 'us-east-1' };
const when = new Date('2013-05-24T00:00:00Z');

describe('SigV4', () => {
  it('signs the GET-object-with-Range example exactly', () => {
    const h = signRequest(creds, 'GET', '/test.txt', { host: 'examplebucket.s3.amazonaws.com', range: 'bytes=0-9' }, EMPTY_SHA256, when);
    expect(h.authorization).toBe('AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,' +
      'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
  });

  it('presigns the GET example exactly', () => {
    const url = presignGet(creds, 'https://examplebucket.s3.amazonaws.com', '/test.txt', when, 86400);
    expect(new URL(url).searchParams.get('X-Amz-Signature')).toBe('aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404');
  });

  it('encodes keys as S3 does', () => {
    expect(uriEncode("a b!'()*/c", true)).toBe('a%20b%21%27%28%29%2A/c');
  });
});
