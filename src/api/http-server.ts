/**
 * The HTTP server under the Koa app, with what Koa cannot do itself:
 * - a cap on open connections per client address: a connection over it gets `429
 *   too_many_connections` to its first request (and is closed), or is closed unanswered if no
 *   request comes within a few seconds;
 * - answers to requests Node rejects before Koa sees them (malformed request line or headers,
 *   header overflow, header/request timeouts, CONNECT) are JSON `{error, message}` like every
 *   other answer, instead of Node's bare status lines;
 * - timeouts: headers must arrive within 2 × BACKSERV_BODY_TIMEOUT_MS; Node's whole-request
 *   timeout is set just above what the body reader's own rules allow, so the reader's JSON 408
 *   comes first.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { ERROR_CATALOGUE, type ErrorCode } from '../tasks/errors.js';
import type { Logger } from '../infra/logging.js';

/** How long a connection over the per-client cap may wait to send its request before it is closed. */
const REFUSED_GRACE_MS = 3_000;

export interface ServerLimits {
  maxConnectionsPerClient: number;
  bodyBytes: number;
  bodyTimeoutMs: number;
  bodyMinBytesPerS: number;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** The raw bytes of a JSON error answer that closes the connection. */
export function jsonErrorResponse(code: ErrorCode, message: string, headers: Record<string, string> = {}): string {
  const status = ERROR_CATALOGUE[code].status;
  const body = JSON.stringify({ error: code, message });
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\n`
    + `Content-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`;
}

/** Node's parser errors (llhttp codes) and timeouts → a catalogued answer. */
function classify(code: string | undefined): [ErrorCode, string] {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return ['headers_too_large', 'The request line and headers are too large.'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return ['request_timeout', 'The request did not arrive in time.'];
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return ['payload_too_large', 'The chunk extensions of the body are too large.'];
    default:
      return ['malformed_request', 'The HTTP request could not be parsed.'];
  }
}

/** Time for the request line and headers (slow-header attacks). */
export function headersTimeoutMs(l: ServerLimits): number {
  return 2 * l.bodyTimeoutMs;
}

/** The time Node itself allows for a whole request; 0 turns Node's limit off. */
export function requestTimeoutMs(l: ServerLimits): number {
  if (l.bodyMinBytesPerS === 0) return 0; // only the reader's idle timeout bounds a body then
  return headersTimeoutMs(l) + l.bodyTimeoutMs + Math.ceil((l.bodyBytes / l.bodyMinBytesPerS) * 1000) + 5_000;
}

export function createHttpServer(handler: Handler, limits: ServerLimits, log: Logger): Server {
  const refused = new WeakSet<object>();
  const server = createServer({
    headersTimeout: headersTimeoutMs(limits),
    requestTimeout: requestTimeoutMs(limits),
    // Node checks the two timeouts above on this interval (30 s by default).
    connectionsCheckingInterval: 1_000,
  }, (req, res) => {
    if (!refused.has(req.socket)) return handler(req, res);
    res.shouldKeepAlive = false;
    const body = JSON.stringify({ error: 'too_many_connections', message: `This address already has ${limits.maxConnectionsPerClient} connections open; reuse them or retry later.` });
    res.writeHead(ERROR_CATALOGUE.too_many_connections.status, {
      'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'retry-after': '1', connection: 'close',
    });
    res.end(body);
  });

  const open = new Map<string, number>();
  server.on('connection', (socket) => {
    const addr = socket.remoteAddress ?? 'unknown';
    const n = (open.get(addr) ?? 0) + 1;
    if (limits.maxConnectionsPerClient > 0 && n > limits.maxConnectionsPerClient) {
      refused.add(socket);
      const timer = setTimeout(() => socket.destroy(), REFUSED_GRACE_MS);
      socket.once('close', () => clearTimeout(timer));
      return;
    }
    open.set(addr, n);
    socket.once('close', () => {
      const left = (open.get(addr) ?? 1) - 1;
      if (left <= 0) open.delete(addr);
      else open.set(addr, left);
    });
  });

  server.on('clientError', (err: Error & { code?: string }, socket: Duplex) => {
    const inResponse = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (err.code === 'ECONNRESET' || !socket.writable || inResponse) {
      socket.destroy();
      return;
    }
    const [code, message] = classify(err.code);
    log.debug({ code: err.code, answer: code }, 'HTTP request rejected by the parser');
    socket.end(jsonErrorResponse(code, message), () => socket.destroy());
  });

  // CONNECT (proxy tunnels) is not something this server does.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.end(jsonErrorResponse('method_not_implemented', 'CONNECT is not supported.'), () => socket.destroy());
  });
  return server;
}
