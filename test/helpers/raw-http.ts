/** Raw-socket HTTP for tests that need what fetch hides: partial bodies, slow senders, bad framing. */
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The server closed the connection (after answering, or without an answer). */
  closed: boolean;
}

/** Parses the first HTTP answer in `text`, or null if it is not complete yet. */
export function parseAnswer(text: string, closed: boolean): RawAnswer | null {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  const length = Number(headers['content-length'] ?? NaN);
  const body = text.slice(end + 4);
  if (Number.isFinite(length) && Buffer.byteLength(body) < length) return null;
  return { status: Number(statusLine.split(' ')[1]), headers, body: Number.isFinite(length) ? body.slice(0, length) : body, closed };
}

/** A connection whose answer can be awaited while the test keeps writing (or not). */
export class RawClient {
  readonly socket: Socket;
  private text = '';
  private closed = false;
  private readonly waiters: (() => void)[] = [];

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (d: Buffer) => {
      this.text += d.toString('utf8');
      this.wake();
    });
    this.socket.on('error', () => undefined); // a reset after the answer is expected in some tests
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.socket.connecting) return resolve();
      this.socket.once('connect', () => resolve());
      this.socket.once('error', reject);
    });
  }

  write(data: string | Buffer): boolean {
    if (this.socket.destroyed || this.socket.writableEnded) return false;
    return this.socket.write(data);
  }

  /** The answer; rejects after `timeoutMs` without one. */
  async answer(timeoutMs = 15_000): Promise<RawAnswer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const a = parseAnswer(this.text, this.closed);
      if (a) return a;
      if (this.closed) throw new Error(`connection closed without an answer (got ${JSON.stringify(this.text.slice(0, 200))})`);
      if (Date.now() > deadline) throw new Error('no answer in time');
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Resolves once the server has closed the connection (or after timeoutMs with false). */
  async whenClosed(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/** The head of a JSON POST to /submit_task declaring `length` body bytes. */
export function submitHead(length: number, extra = ''): string {
  return `POST /submit_task HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n${extra}\r\n`;
}
