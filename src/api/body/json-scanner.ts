/**
 * An incremental JSON scanner for request bodies that may carry multi-MiB strings (data: URIs).
 * It passes the JSON structure through unchanged into a "skeleton" buffer, but a string whose
 * raw (escaped) form grows past `threshold` bytes is diverted: its decoded bytes are handed out
 * as `data` events while the body arrives, and the skeleton gets a short placeholder string in
 * its place. JSON.parse of the skeleton then gives the body with placeholders instead of the big
 * strings; everything else (numbers, nesting, short strings, syntax errors) is left to JSON.parse.
 *
 * Work per chunk is proportional to the chunk (Buffer.indexOf finds quotes; only the bytes of a
 * diverted string are looked at one by one, to validate and count them), so a big body never
 * blocks the event loop for long. A diverted string is validated exactly as JSON.parse would
 * (see string-unescaper.ts), so the scanner accepts exactly the bodies JSON.parse accepts.
 */
import { ByteSink } from './byte-sink.js';
import { JsonStringError, StringUnescaper } from './string-unescaper.js';

export type ScanEvent =
  | { type: 'spill-start'; index: number }
  /** Decoded bytes of the diverted string (the caller may keep them). */
  | { type: 'spill-data'; index: number; bytes: Buffer }
  /** `head`: the first bytes of the string (at most headBytes, cut at a character boundary). */
  | { type: 'spill-end'; index: number; codePoints: number; head: string };

export interface ScannerOptions {
  /** Strings whose raw form is longer than this many bytes are diverted. */
  threshold: number;
  /** How much of a diverted string to keep for its stand-in (patterns are checked on it). */
  headBytes: number;
  /** The JSON text (quotes included) that replaces diverted string number `index` in the skeleton. */
  placeholder(index: number): string;
}

export { JsonStringError };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export class JsonSpillScanner {
  private readonly skeleton = new ByteSink(1024);
  /** The string being read while it is still short enough to keep: `"` + raw content. */
  private readonly pending = new ByteSink(256);
  private state: 'out' | 'string' | 'spill' = 'out';
  /** Consecutive backslashes at the end of the string content seen so far. */
  private backslashes = 0;
  private spills = 0;
  private unescaper: StringUnescaper | null = null;
  private head = new ByteSink(64);

  constructor(private readonly opts: ScannerOptions) {}

  /** Bytes of the skeleton so far (the JSON apart from diverted strings). */
  get skeletonBytes(): number {
    return this.skeleton.length;
  }

  /** Memory this scanner holds (skeleton plus a string in progress). */
  get heldBytes(): number {
    return this.skeleton.capacity + this.pending.capacity + this.head.capacity;
  }

  push(chunk: Uint8Array): ScanEvent[] {
    const events: ScanEvent[] = [];
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.state === 'out') {
        const q = chunk.indexOf(QUOTE, i);
        if (q < 0) {
          this.skeleton.append(chunk, i, n);
          break;
        }
        this.skeleton.append(chunk, i, q);
        this.pending.reset(4096);
        this.pending.appendByte(QUOTE);
        this.backslashes = 0;
        this.state = 'string';
        i = q + 1;
        continue;
      }
      const close = this.findClose(chunk, i);
      const stop = close < 0 ? n : close;
      if (this.state === 'string' && this.pending.length - 1 + (stop - i) > this.opts.threshold) {
        // Too long to keep: from here on, decode and hand out. What was kept goes first.
        const index = this.spills++;
        this.state = 'spill';
        this.unescaper = new StringUnescaper();
        this.head.reset(64);
        events.push({ type: 'spill-start', index });
        const kept = Buffer.from(this.pending.view(1));
        this.pending.reset(256);
        this.emit(events, index, this.unescaper.push(kept));
      }
      if (this.state === 'string') {
        this.pending.append(chunk, i, stop);
        if (close >= 0) {
          this.pending.appendByte(QUOTE);
          this.skeleton.append(this.pending.view());
          this.state = 'out';
        }
      } else {
        const index = this.spills - 1;
        const u = this.unescaper!;
        this.emit(events, index, u.push(chunk.subarray(i, stop)));
        if (close >= 0) {
          this.emit(events, index, u.end());
          events.push({ type: 'spill-end', index, codePoints: u.codePoints, head: this.headText() });
          this.skeleton.append(Buffer.from(this.opts.placeholder(index), 'utf8'));
          this.unescaper = null;
          this.state = 'out';
        }
      }
      i = close < 0 ? n : close + 1;
    }
    return events;
  }

  /** The skeleton once the body is complete; throws JsonStringError if it ended inside a string. */
  end(): Buffer {
    if (this.state !== 'out') throw new JsonStringError('the body ends inside a string');
    return this.skeleton.view();
  }

  /** Index of the quote closing the current string at or after `from`, or -1; tracks backslashes. */
  private findClose(chunk: Uint8Array, from: number): number {
    let pos = from;
    for (;;) {
      const q = chunk.indexOf(QUOTE, pos);
      if (q < 0) {
        let k = chunk.length - 1;
        while (k >= from && chunk[k] === BACKSLASH) k--;
        const run = chunk.length - 1 - k;
        this.backslashes = k < from ? this.backslashes + run : run;
        return -1;
      }
      let k = q - 1;
      while (k >= pos && chunk[k] === BACKSLASH) k--;
      let run = q - 1 - k;
      // The run reaches back to the start of this piece: it continues the one carried in.
      if (k < pos) run += pos === from ? this.backslashes : 0;
      if (run % 2 === 0) return q;
      pos = q + 1;
    }
  }

  private emit(events: ScanEvent[], index: number, bytes: Buffer): void {
    if (bytes.length === 0) return;
    const room = this.opts.headBytes - this.head.length;
    if (room > 0) this.head.append(bytes, 0, Math.min(room, bytes.length));
    events.push({ type: 'spill-data', index, bytes });
  }

  private headText(): string {
    const h = this.head.view();
    // Cut an incomplete last character rather than turn it into U+FFFD.
    let end = h.length;
    for (let back = 1; back <= 3 && end - back >= 0; back++) {
      const b = h[end - back];
      if ((b & 0xc0) === 0x80) continue;
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
      if (need > back) end -= back;
      break;
    }
    return h.subarray(0, end).toString('utf8');
  }
}
