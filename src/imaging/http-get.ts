import { InvalidImageError } from '../tasks/invalid-image-error.js';
import { pinnedRequest, type ResolvedAddress } from '../infra/net/resolve-target.js';

/**
 * The one message for every failure before a 2xx answer from an address that only the operator's
 * allowlist admits (refused or filtered port, reset, timeout, HTTP error status): a caller must
 * not be able to use the fetcher to scan internal hosts. After a 2xx the port is known to serve
 * HTTP, and the usual specific messages apply.
 */
export class OpaqueHopError extends InvalidImageError {}

export type HopResult = { kind: 'redirect'; location: string } | { kind: 'body'; body: Buffer };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * One GET to `url`, connected to `target` (an address already checked by resolveChecked) by
 * pinnedRequest: the Host header and TLS checks still use `url.hostname`, DNS is not asked again.
 */
export function httpGetOnce(
  url: URL,
  target: ResolvedAddress,
  maxBytes: number,
  signal: AbortSignal,
  field?: string,
): Promise<HopResult> {
  const fail = (reason: string) => new InvalidImageError(field, reason);
  let answered = false;
  const early = (err: unknown): Error => {
    if (!target.internal || answered) return err as Error;
    return new OpaqueHopError(field, `could not fetch an image from ${url.host}`, { cause: err });
  };

  return new Promise<HopResult>((resolve, reject) => {
    const req = pinnedRequest(url, target, {
      method: 'GET',
      headers: {
        accept: 'image/*',
        // Compressed transfer would make the byte cap count the wrong thing.
        'accept-encoding': 'identity',
        'user-agent': 'Back.Serv image fetcher',
      },
      signal,
    });
    const stop = (err: Error) => {
      reject(err);
      req.destroy();
    };
    req.on('error', (err) => reject(early(err)));
    req.on('response', (res) => {
      let total = 0;
      let streaming = false;
      // Destroying a half-read response can emit 'error'; it must never go unhandled.
      res.on('error', (err) =>
        reject(streaming ? fail(`${url.host} closed the connection after ${total} bytes`) : err),
      );
      const status = res.statusCode ?? 0;
      if (REDIRECTS.has(status)) {
        const location = res.headers.location;
        res.destroy();
        if (!location) stop(early(fail(`${url.host} answered a ${status} redirect without a Location`)));
        else resolve({ kind: 'redirect', location });
        return;
      }
      if (status < 200 || status > 299) {
        stop(early(fail(`${url.host} answered HTTP ${status}; the URL must return the image itself`)));
        return;
      }
      answered = true;
      const tooLarge = () => fail(`image at ${url.host} is larger than the limit of ${maxBytes} bytes`);
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (declared > maxBytes) {
        stop(tooLarge());
        return;
      }
      const chunks: Buffer[] = [];
      streaming = true;
      res.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > maxBytes) stop(tooLarge());
        else chunks.push(chunk);
      });
      res.on('end', () => {
        if (Number.isFinite(declared) && total !== declared) {
          reject(fail(`${url.host} sent ${total} of the ${declared} bytes it announced`));
        } else if (total === 0) {
          reject(fail(`${url.host} sent an empty body`));
        } else {
          resolve({ kind: 'body', body: Buffer.concat(chunks, total) });
        }
      });
    });
    req.end();
  });
}
