/**
 * Inputs in S3-compatible object storage, for scale-out without a shared volume: the serve node
 * that received the body spools it to a local temp file (hashing it on the way, since SigV4
 * signs the payload's SHA-256), uploads it on commit with one signed, streamed PUT and drops the
 * local copy; workers on any host read it back with a signed GET. Keys: `<bucket>/<inputsPrefix><id>`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { S3Settings } from '../../config/s3-settings.js';
import { EMPTY_SHA256, signRequest } from '../../results/sigv4.js';
import { InputMissingError, isInputId, putFrom, type InputStore, type InputWriter } from './input-store.js';
import { SpoolFile } from './spool-file.js';
import { spoolWriter } from './spool-writer.js';

export class S3InputStore implements InputStore {
  readonly kind = 's3' as const;
  private readonly origin: URL;

  /** `spoolDir`: local folder for uploads in progress. */
  constructor(private readonly s3: S3Settings, private readonly spoolDir: string) {
    this.origin = new URL(s3.endpoint.replace(/\/+$/, ''));
  }

  begin(): InputWriter {
    const id = randomBytes(16).toString('hex');
    const spool = new SpoolFile(join(this.spoolDir, `.${id}.tmp`));
    const hash = createHash('sha256');
    return spoolWriter(id, spool, {
      onChunk: (chunk) => hash.update(chunk),
      commit: async (done) => {
        try {
          const res = await this.send('PUT', id, hash.digest('hex'), { 'content-length': String(done.bytes), 'content-type': 'application/octet-stream' }, done.path);
          res.resume();
          if (res.statusCode !== 200) throw new Error(`storing the input in object storage failed: HTTP ${res.statusCode}`);
        } finally {
          await done.remove(); // uploaded (or refused): the local spool is not needed either way
        }
      },
    });
  }

  put(source: AsyncIterable<Uint8Array>): Promise<string> {
    return putFrom(this, source);
  }

  async *open(id: string): AsyncIterable<Buffer> {
    if (!isInputId(id)) throw new InputMissingError();
    const res = await this.send('GET', id, EMPTY_SHA256, {});
    if (res.statusCode === 404) {
      res.resume();
      throw new InputMissingError();
    }
    if (res.statusCode !== 200) {
      res.resume();
      throw new Error(`reading the input from object storage failed: HTTP ${res.statusCode}`);
    }
    for await (const chunk of res) yield chunk as Buffer;
  }

  async read(id: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const c of this.open(id)) parts.push(c);
    return Buffer.concat(parts);
  }

  async delete(id: string): Promise<void> {
    if (!isInputId(id)) return;
    const res = await this.send('DELETE', id, EMPTY_SHA256, {});
    res.resume();
    if (res.statusCode !== 204 && res.statusCode !== 200 && res.statusCode !== 404) {
      throw new Error(`deleting the input from object storage failed: HTTP ${res.statusCode}`);
    }
  }

  /** One signed request; `bodyFile` is streamed as the body. */
  private send(method: string, id: string, payloadSha: string, headers: Record<string, string>, bodyFile?: string): Promise<IncomingMessage> {
    const path = `/${this.s3.bucket}/${this.s3.inputsPrefix}${id}`;
    const signed = signRequest(this.s3.credentials, method, path, { host: this.origin.host, ...headers }, payloadSha, new Date());
    const request = this.origin.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, this.origin), { method, headers: signed, timeout: 60_000 }, resolve);
      req.on('timeout', () => req.destroy(new Error('object storage did not answer in time')));
      req.on('error', reject);
      if (bodyFile) createReadStream(bodyFile).on('error', (err) => req.destroy(err)).pipe(req);
      else req.end();
    });
  }
}
