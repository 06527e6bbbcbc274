/**
 * Where a server-side install may fetch model files from. Model URLs are operator-configured
 * (the manifest), not client input, so they do not go through the SSRF rules of image fetches;
 * but a server must not pull executable weights over plain HTTP, so every URL must be https.
 * Tests and development serve files from this machine: with BACKSERV_MODELS_ALLOW_HTTP=1,
 * http:// to a loopback host is allowed too, and nothing else.
 */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Null when the URL may be fetched; otherwise why not (for the operator). */
export function sourceRefusal(url: string, allowLoopbackHttp: boolean): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `"${url}" is not a URL`;
  }
  if (parsed.protocol === 'https:') return null;
  if (parsed.protocol === 'http:' && allowLoopbackHttp && LOOPBACK_HOSTS.has(parsed.hostname)) return null;
  if (parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname)) {
    return `${url} is plain http: allowed only for tests and development, with BACKSERV_MODELS_ALLOW_HTTP=1`;
  }
  return `${url} is not https: the server installs model files over https only`;
}
