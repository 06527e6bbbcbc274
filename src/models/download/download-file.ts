/**
 * One file over HTTP(S): into `<dest>.part`, resumed with a Range request when a part exists
 * (also after a connection cut mid-transfer, a few times), hashed as it arrives, and renamed into
 * place only when size and sha256 match. A mismatch deletes the part so nothing wrong is left.
 * No folder is created before the server has answered with the file, so an unreachable host
 * leaves nothing behind.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface DownloadProgress {
  received: number;
  /** Total bytes when known (from the manifest or Content-Length/Content-Range), else 0. */
  total: number;
  bytesPerSecond: number;
  /** Seconds left, or NaN when the total or speed is unknown. */
  etaSeconds: number;
}

export interface DownloadOptions {
  url: string;
  dest: string;
  sha256: string | null;
  size: number;
  onProgress?: (p: DownloadProgress) => void;
  /** How many times a cut connection is resumed within this call. */
  retries?: number;
  /** Progress callbacks at most this often (ms). */
  progressIntervalMs?: number;
}

export class DownloadError extends Error {
  constructor(
    message: string,
    readonly code: 'offline' | 'http' | 'checksum' | 'size' | 'interrupted',
    /** What went wrong without the advice that follows it in `message` (e.g. "cannot reach host (ENOTFOUND)"). */
    readonly reason: string = message,
  ) {
    super(message);
  }
}

const NETWORK_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);

function causeCode(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string; errors?: { code?: string }[] } };
  return e.cause?.code ?? e.cause?.errors?.[0]?.code ?? e.code ?? '';
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function hashExisting(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

export function byHandHint(url: string, dest: string, sha256: string | null): string {
  return `place the file by hand: fetch ${url} on a connected machine and copy it to ${dest}${sha256 ? ` (sha256 ${sha256})` : ''}`;
}

/** Downloads one file; resolves with its sha256 (hex). */
export async function downloadFile(opts: DownloadOptions): Promise<string> {
  const part = `${opts.dest}.part`;
  const retries = opts.retries ?? 3;
  const interval = opts.progressIntervalMs ?? 250;
  let attempt = 0;
  for (;;) {
    const hash = createHash('sha256');
    let have = await sizeOf(part);
    if (opts.size > 0 && have > opts.size) {
      await rm(part, { force: true });
      have = 0;
    }
    let response: Response;
    try {
      response = await fetch(opts.url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {}, redirect: 'follow' });
    } catch (err) {
      const code = causeCode(err);
      if (NETWORK_CODES.has(code) || attempt >= retries) {
        const why = code || ((err as Error).cause as Error | undefined)?.message || (err as Error).message;
        const reason = `cannot reach ${new URL(opts.url).host} (${why})`;
        throw new DownloadError(`${reason}: ${byHandHint(opts.url, opts.dest, opts.sha256)}`, 'offline', reason);
      }
      attempt += 1;
      continue;
    }
    let total = opts.size;
    if (response.status === 416 && have > 0) {
      // The part is already complete (or the server disagrees about its size): check it below.
      await response.body?.cancel();
    } else if (response.status === 206 && have > 0) {
      await hashExisting(part, hash);
      const range = /\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
      if (!total && range) total = Number(range[1]);
    } else if (response.status === 200) {
      have = 0;
      const len = Number(response.headers.get('content-length') ?? 0);
      if (!total && len) total = len;
    } else {
      await response.body?.cancel();
      throw new DownloadError(`HTTP ${response.status} for ${opts.url}`, 'http');
    }

    if (response.status !== 416 && response.body) {
      await mkdir(dirname(opts.dest), { recursive: true });
      const file = await open(part, have > 0 ? 'a' : 'w');
      const started = Date.now();
      const startBytes = have;
      let lastReport = 0;
      let received = have;
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          await file.write(chunk);
          hash.update(chunk);
          received += chunk.length;
          const now = Date.now();
          if (opts.onProgress && now - lastReport >= interval) {
            lastReport = now;
            const secs = Math.max((now - started) / 1000, 1e-3);
            const speed = (received - startBytes) / secs;
            opts.onProgress({ received, total, bytesPerSecond: speed, etaSeconds: total && speed > 0 ? (total - received) / speed : NaN });
          }
        }
      } catch (err) {
        await file.close();
        if (attempt >= retries) {
          throw new DownloadError(`connection to ${new URL(opts.url).host} broke after ${received} bytes (${causeCode(err) || (err as Error).message}); run the command again to resume`, 'interrupted');
        }
        attempt += 1;
        continue;
      }
      await file.close();
      opts.onProgress?.({ received, total, bytesPerSecond: 0, etaSeconds: 0 });
    } else {
      await hashExisting(part, hash);
    }

    const got = await sizeOf(part);
    if (total && got < total) {
      if (attempt >= retries) throw new DownloadError(`${opts.url}: got ${got} of ${total} bytes; run the command again to resume`, 'interrupted');
      attempt += 1;
      continue;
    }
    if (opts.size > 0 && got !== opts.size) {
      await rm(part, { force: true });
      throw new DownloadError(`${opts.url}: size ${got} differs from the manifest's ${opts.size}; the partial file was deleted`, 'size');
    }
    const digest = hash.digest('hex');
    if (opts.sha256 && digest !== opts.sha256) {
      await rm(part, { force: true });
      throw new DownloadError(`${opts.url}: sha256 ${digest} differs from the manifest's ${opts.sha256}; the file was deleted`, 'checksum');
    }
    await rename(part, opts.dest);
    return digest;
  }
}
