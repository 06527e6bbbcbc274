/**
 * Results in S3-compatible object storage (AWS S3, MinIO, Ceph, R2, …), path-style URLs.
 * A worker uploads the finished file (signed PUT) and removes its local copy; any serve node
 * answers GET /results/:name with a redirect to a short-lived presigned URL, so result bytes
 * never pass through the API nodes and players can seek (S3 honours Range).
 */
import { createHash } from 'node:crypto';
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isResultName, type ResultLocation, type ResultStore } from './result-store.js';
import type { S3Settings } from '../config/s3-settings.js';
import { presignGet, signRequest } from './sigv4.js';

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

}
