/** A small Server-Sent Events reader over fetch, for tests (records every field as sent). */

export interface SseEvent {
  id: string | null;
  event: string;
  data: unknown;
}

export interface SseStream {
  status: number;
  headers: Headers;
  events: SseEvent[];
  comments: number;
  /** Resolves when the server closes the stream. */
  closed: Promise<void>;
  /** Resolves once `pred` holds for some received event. */
  until(pred: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  abort(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const ac = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: ac.signal });
  const events: SseEvent[] = [];
  const waiters: (() => void)[] = [];
  const stream: SseStream = {
    status: res.status,
    headers: res.headers,
    events,
    comments: 0,
    closed: Promise.resolve(),
    async until(pred, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = events.find(pred);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`SSE: no matching event; got ${JSON.stringify(events)}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
    },
    abort: () => ac.abort(),
  };
  if (!res.body || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    await res.arrayBuffer().catch(() => undefined);
    return stream;
  }
  stream.closed = (async () => {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          let id: string | null = null;
          let event = 'message';
          const data: string[] = [];
          let fields = 0;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) {
              stream.comments++;
              continue;
            }
            const i = line.indexOf(':');
            const key = i < 0 ? line : line.slice(0, i);
            const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
            if (key === 'id') id = value;
            else if (key === 'event') event = value;
            else if (key === 'data') data.push(value);
            else continue;
            fields++;
          }
          if (fields > 0 && data.length > 0) events.push({ id, event, data: JSON.parse(data.join('\n')) as unknown });
          for (const w of waiters.splice(0)) w();
        }
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    }
  })();
  return stream;
}
