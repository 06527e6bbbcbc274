import type { UrlAllowlist } from '../infra/net/address-policy.js';
import { decodeDataUri, type MediaKind } from './data-uri.js';
import { InvalidImageError } from '../tasks/invalid-image-error.js';
import { httpGetOnce, OpaqueHopError } from './http-get.js';
import { resolveChecked, systemResolver, type HostResolver } from '../infra/net/resolve-target.js';

export interface FetchImageOptions {
  /** Cap on the image's bytes (download or data: payload). */
  maxBytes: number;
  /** For the whole fetch, every redirect hop included. */
  timeoutMs: number;
  maxRedirects: number;
  allowlist: UrlAllowlist;
  /** The task's signal: cancelling the task stops the download. */
  signal?: AbortSignal;
  /** Request field the reference came from; prefixes error messages ("image_url: ..."). */
  field?: string;
  resolver?: HostResolver;
  /** What a data: URI may carry (default: an image). */
  kind?: MediaKind;
}

function parseHttpUrl(ref: string, field?: string): URL {
  let url: URL;
  try {
    url = new URL(ref);
  } catch {
    throw new InvalidImageError(field, 'is not a valid URL; use an http(s) URL or a data: URI');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidImageError(
      field,
      `scheme "${url.protocol.slice(0, -1)}" is not allowed; use http, https or a data: URI`,
    );
  }
  return url;
}

function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * The bytes of an input image named by a data: URI or an http(s) URL. Every URL, the first and
 * each redirect target, is resolved, checked against the address policy and then connected to
 * at the checked address. Failures throw InvalidImageError; an abort of `opts.signal` rethrows
 * the signal's reason, since a cancelled task is not a bad image.
 */
export async function fetchImageBytes(ref: string, opts: FetchImageOptions): Promise<Buffer> {
  const { field } = opts;
  if (/^data:/i.test(ref)) return decodeDataUri(ref, opts.maxBytes, field, opts.kind);

  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline.signal]) : deadline.signal;
  let url = parseHttpUrl(ref, field);
  try {
    for (let hop = 0; ; hop++) {
      const target = await raceAbort(
        resolveChecked(url.hostname, opts.allowlist, opts.resolver ?? systemResolver, field),
        signal,
      );
      const result = await httpGetOnce(url, target, opts.maxBytes, signal, field);
      if (result.kind === 'body') return result.body;
      if (hop >= opts.maxRedirects) {
        throw new InvalidImageError(field, `more than ${opts.maxRedirects} redirects`);
      }
      let next: string;
      try {
        next = new URL(result.location, url).href;
      } catch {
        throw new InvalidImageError(field, `${url.host} redirected to an invalid URL`);
      }
      url = parseHttpUrl(next, field);
    }
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (err instanceof OpaqueHopError) throw err;
    if (deadline.signal.aborted) {
      throw new InvalidImageError(field, `fetching from ${url.host} took longer than ${opts.timeoutMs} ms`);
    }
    if (err instanceof InvalidImageError) throw err;
    throw new InvalidImageError(field, `could not fetch from ${url.host}: ${networkFailure(err)}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

/** A network error in words a user can act on; the raw message (addresses, ports) is for the log. */
function networkFailure(err: unknown): string {
  const code = String((err as { code?: unknown })?.code ?? '');
  if (code === 'ECONNREFUSED') return 'the connection was refused';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'the connection was reset';
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'the host could not be reached';
  if (/CERT|SSL|TLS/.test(code)) return 'its TLS certificate could not be verified';
  return 'the request failed';
}
