/**
 * Results in S3-compatible object storage (AWS S3, MinIO, Ceph, R2, …), path-style URLs.
 * A worker uploads the finished file (signed PUT) and removes its local copy; any serve node
 * answers GET /results/:name with a redirect to a short-lived presigned URL, so result bytes
 * never pass through the API nodes and players can seek (S3 honours Range). Removal is a signed
 * DELETE (S3 answers 204 for a missing key too, so it is idempotent), listing is ListObjectsV2.
 */
import { createHash } from 'node:crypto';
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isResultName, resultType, type ResultLocation, type ResultStore, type StoredResult } from './result-store.js';
import type { S3Settings } from '../config/s3-settings.js';
import { unlinkIfPresent } from './local-store.js';
import { parseListPage } from './s3-list.js';
import { EMPTY_SHA256, presignGet, signRequest, uriEncode } from './sigv4.js';

export class S3ResultStore implements ResultStore {
  readonly kind = 's3' as const;
  private readonly origin: string;

  constructor(private readonly s3: S3Settings, private readonly localDir: string) {
    this.origin = s3.endpoint.replace(/\/+$/, '');
  }

  private path(name: string): string {
    return `/${this.s3.bucket}/${this.s3.prefix}${name}`;
  }

  async publish(name: string, contentType: string): Promise<void> {
    const file = join(this.localDir, name);
    const body = await readFile(file);
    const headers = signRequest(this.s3.credentials, 'PUT', this.path(name),
      { host: new URL(this.origin).host, 'content-type': contentType },
      createHash('sha256').update(body).digest('hex'), new Date());
    const res = await fetch(`${this.origin}${encodeURI(this.path(name))}`, { method: 'PUT', headers, body });
    if (!res.ok) {
      const detail = (await res.text()).slice(0, 300);
      throw new Error(`uploading the result to object storage failed: HTTP ${res.status} ${detail}`);
    }
    await unlink(file).catch(() => undefined);
  }

  locate(name: string): ResultLocation | null {
    if (!isResultName(name)) return null;
    return { kind: 'redirect', url: presignGet(this.s3.credentials, this.origin, this.path(name), new Date(), this.s3.urlTtlS) };
  }

  async remove(name: string): Promise<void> {
    if (!isResultName(name)) return;
    // The local copy first: a result not yet uploaded exists only there.
    await unlinkIfPresent(join(this.localDir, name));
    const res = await this.send('DELETE', this.path(name));
    if (!res.ok && res.status !== 404) throw new Error(`deleting a result from object storage failed: HTTP ${res.status}`);
    await res.arrayBuffer();
  }

  /** Pages of up to 1000 keys under the prefix; keys that are not result names are skipped. */
  async *list(): AsyncIterable<StoredResult> {
    let token: string | null = null;
    do {
      const query: Record<string, string> = { 'list-type': '2', prefix: this.s3.prefix };
      if (token) query['continuation-token'] = token;
      const res = await this.send('GET', `/${this.s3.bucket}`, query);
      const body = await res.text();
      if (!res.ok) throw new Error(`listing results in object storage failed: HTTP ${res.status} ${body.slice(0, 300)}`);
      const page = parseListPage(body);
      for (const o of page.objects) {
        const name = o.key.slice(this.s3.prefix.length);
        if (o.key.startsWith(this.s3.prefix) && isResultName(name) && resultType(name)) yield { name, bytes: o.bytes, modifiedMs: o.modifiedMs };
      }
      token = page.next;
    } while (token);
  }

  /** A signed request without a body. */
  private send(method: 'GET' | 'DELETE', path: string, query: Record<string, string> = {}): Promise<Response> {
    const headers = signRequest(this.s3.credentials, method, path, { host: new URL(this.origin).host }, EMPTY_SHA256, new Date(), query);
    const qs = Object.keys(query).sort().map((k) => `${uriEncode(k)}=${uriEncode(query[k])}`).join('&');
    return fetch(`${this.origin}${uriEncode(path, true)}${qs ? `?${qs}` : ''}`, { method, headers });
  }
}
