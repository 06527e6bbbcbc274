/**
 * AWS Signature Version 4 for S3 (header and presigned-URL forms), written from the AWS
 * documentation so the project needs no SDK. Checked against AWS's published examples.
 */
import { createHash, createHmac } from 'node:crypto';

import type { Credentials } from '../config/s3-settings.js';

const sha256hex = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as S3 wants it (encodeURIComponent leaves !'()* alone). */
export function uriEncode(s: string, keepSlash = false): string {
  const enc = encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return keepSlash ? enc.replace(/%2F/g, '/') : enc;
}

export const EMPTY_SHA256 = sha256hex('');
export const amzDate = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

function signature(creds: Credentials, date: string, canonicalRequest: string): { scope: string; sig: string } {
  const day = date.slice(0, 8);
  const scope = `${day}/${creds.region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', date, scope, sha256hex(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${creds.secretAccessKey}`, day);
  for (const part of [creds.region, 's3', 'aws4_request']) key = hmac(key, part);
  return { scope, sig: createHmac('sha256', key).update(toSign).digest('hex') };
}

function canonicalQuery(query: Record<string, string>): string {
  return Object.keys(query).sort().map((k) => `${uriEncode(k)}=${uriEncode(query[k])}`).join('&');
}

/** Headers (lower-case names) to send, Authorization included. `headers` must include host. */
export function signRequest(creds: Credentials, method: string, path: string, headers: Record<string, string>,
  payloadSha256: string, now: Date, query: Record<string, string> = {}): Record<string, string> {
  const date = amzDate(now);
  const all: Record<string, string> = { ...headers, 'x-amz-content-sha256': payloadSha256, 'x-amz-date': date };
  const names = Object.keys(all).map((h) => h.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(all).map(([k, v]) => [k.toLowerCase(), v.trim()]));
  const signed = names.join(';');
  const canonical = [method, uriEncode(path, true), canonicalQuery(query), names.map((n) => `${n}:${lower[n]}\n`).join(''), signed, payloadSha256].join('\n');
  const { scope, sig } = signature(creds, date, canonical);
  return { ...lower, authorization: `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope},SignedHeaders=${signed},Signature=${sig}` };
}

/** A presigned GET URL valid for `expiresS` seconds. */
export function presignGet(creds: Credentials, origin: string, path: string, now: Date, expiresS: number): string {
  const host = new URL(origin).host;
  const date = amzDate(now);
  const query: Record<string, string> = {
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${creds.accessKeyId}/${date.slice(0, 8)}/${creds.region}/s3/aws4_request`,
    'X-Amz-Date': date,
    'X-Amz-Expires': String(expiresS),
    'X-Amz-SignedHeaders': 'host',
  };
  const canonical = ['GET', uriEncode(path, true), canonicalQuery(query), `host:${host}\n`, 'host', 'UNSIGNED-PAYLOAD'].join('\n');
  const { sig } = signature(creds, date, canonical);
  return `${origin}${uriEncode(path, true)}?${canonicalQuery(query)}&X-Amz-Signature=${sig}`;
}
