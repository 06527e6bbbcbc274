/**
 * Reads a JSON request body with bounded memory and time. Limits apply before and while reading:
 * content type, declared and actual size, a share of the process-wide in-flight budget (503 when
 * there is none, before reading), an idle timeout between chunks and a minimum average rate
 * (408). Strings longer than SPILL_THRESHOLD stream into the input store as they arrive (see
 * json-scanner.ts), hashed as they pass (for Idempotency-Key fingerprints); the rest is parsed
 * with JSON.parse under strict UTF-8.
 *
 * Answers that stop reading early set `Connection: close`, so the socket closes after the answer
 * and the upload stops, instead of the server draining (and the client sending) the rest.
 *
 * BodyReader.read(ctx) is the one way the task APIs (seed and compat) read a body.
 */
import { createHash, randomUUID, type Hash } from 'node:crypto';
import type { Context } from 'koa';
import { ApiError, badRequest } from '../../tasks/errors.js';
import type { InputStore, InputWriter } from '../../store/inputs/input-store.js';
import { InflightBudget } from './inflight-budget.js';
import { JsonSpillScanner, JsonStringError } from './json-scanner.js';
import { insertStandIns, SpilledBody, STAND_IN_CAP, type Spill } from './spilled-body.js';

/** Strings with a raw form longer than this go to the input store instead of memory. */
export const SPILL_THRESHOLD = 64 * 1024;
/** Kept of each spilled string for its stand-in and the image sniff (data: header + first bytes). */
const HEAD_BYTES = 1024;
/**
 * Cap on the JSON apart from spilled strings. A valid submit's structure is a few KiB (its short
 * strings included); a body of megabytes of structure is an attack on JSON.parse, not a task.
 */
export const SKELETON_MAX = 1024 * 1024;
/** What a body holds before the scanner has anything: about one socket chunk. */
const BASE_SHARE = 64 * 1024;

export interface BodyLimits {
  bodyBytes: number;
  bodyTimeoutMs: number;
  bodyMinBytesPerS: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class BodyReader {
  constructor(
    private readonly inputs: InputStore,
    readonly budget: InflightBudget,
    private readonly limits: BodyLimits,
  ) {
    if (STAND_IN_CAP <= SPILL_THRESHOLD) throw new Error('stand-ins must be longer than the spill threshold');
  }

  /**
   * `hash`: take the SHA-256 of each spilled string as it passes (needed for fingerprint());
   * by default only when the request carries an Idempotency-Key, since it costs CPU per byte.
   */
  async read(ctx: Context, opts: { hash?: boolean } = {}): Promise<SpilledBody> {
    const { limits } = this;
    const hashing = opts.hash ?? ctx.get('idempotency-key') !== '';
    if (!/^application\/json\s*(;|$)/i.test(ctx.get('content-type'))) {
      throw new ApiError('unsupported_media_type', 'Send the body as JSON with "Content-Type: application/json".');
    }
    const declared = Number(ctx.get('content-length') || NaN);
    if (Number.isFinite(declared) && declared > limits.bodyBytes) throw tooLarge(limits.bodyBytes);

    let share = Number.isFinite(declared) ? Math.min(BASE_SHARE, declared + 1024) : BASE_SHARE;
    if (!this.budget.tryTake(share)) throw busy();
    // Unguessable per request (122 random bits); randomUUID draws its entropy 128 at a time, where
    // randomBytes made a system call on every request (5 % of submit's CPU under load).
    const nonce = randomUUID();
    const nonceMark = `\u0000${nonce}:`;
    const mark = (i: number) => `${nonceMark}${i}\u0000`;
    const scanner = new JsonSpillScanner({ threshold: SPILL_THRESHOLD, headBytes: HEAD_BYTES, placeholder: (i) => JSON.stringify(mark(i)) });
    const spills: Spill[] = [];
    let writer: InputWriter | null = null;
    let spillHash: Hash | null = null;
    const watch = new BodyWatch(limits.bodyTimeoutMs, limits.bodyMinBytesPerS);
    try {
      let size = 0;
      for await (const chunk of watch.chunks(ctx.req as AsyncIterable<Buffer>)) {
        size += chunk.length;
        if (size > limits.bodyBytes) throw tooLarge(limits.bodyBytes);
        for (const e of scanner.push(chunk)) {
          if (e.type === 'spill-start') {
            writer = this.inputs.begin();
            spillHash = hashing ? createHash('sha256') : null;
          } else if (e.type === 'spill-data') {
            spillHash?.update(e.bytes);
            await storing(writer!.write(e.bytes));
          } else {
            const bytes = writer!.bytes;
            const id = await storing(writer!.commit());
            writer = null;
            spills.push({ id, sha256: spillHash?.digest('hex') ?? null, bytes, codePoints: e.codePoints, head: e.head });
          }
        }
        if (scanner.skeletonBytes > SKELETON_MAX) {
          throw new ApiError('payload_too_large', `The JSON of the body, apart from strings over ${SPILL_THRESHOLD} bytes, is over ${SKELETON_MAX} bytes.`);
        }
        // What the scanner keeps (structure, short strings) and a write batch not yet on disk count.
        const held = scanner.heldBytes + (writer?.buffered ?? 0);
        if (held > share) {
          if (!this.budget.tryTake(held - share)) throw busy();
          share = held;
        }
      }
      const skeleton = scanner.end();
      let text: string;
      try {
        text = utf8.decode(skeleton);
      } catch {
        throw badRequest('invalid_json', 'The body is not valid UTF-8.');
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text) as unknown;
      } catch (err) {
        throw badRequest('invalid_json', `The body is not valid JSON: ${(err as Error).message.replaceAll(nonceMark, '…')}`);
      }
      const value = insertStandIns(parsed, spills, mark, nonceMark);
      return new SpilledBody(value, spills, nonceMark, this.inputs);
    } catch (err) {
      await writer?.abort();
      await Promise.all(spills.map((s) => this.inputs.delete(s.id).catch(() => undefined)));
      if (err instanceof ApiError) {
        if (!ctx.req.complete) ctx.set('Connection', 'close');
        throw err;
      }
      if (err instanceof JsonStringError) throw badRequest('invalid_json', `The body is not valid JSON: ${err.message}.`);
      if (err instanceof StoringError) throw err.cause;
      throw badRequest('invalid_json', 'The request body could not be read completely (connection cut?).');
    } finally {
      watch.stop();
      this.budget.give(share);
    }
  }
}

function tooLarge(limit: number): ApiError {
  return new ApiError('payload_too_large', `The body is over the limit of ${limit} bytes; pass large images by URL.`);
}

function busy(): ApiError {
  return new ApiError('server_busy', 'The server is receiving too many request bodies at once; retry shortly.', { 'Retry-After': '2' });
}

/** A failure of the input store while storing a spilled string: a 503, not the client's fault. */
class StoringError extends Error {
  constructor(override readonly cause: ApiError) {
    super(cause.message);
  }
}

async function storing<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch {
    throw new StoringError(new ApiError('store_unavailable', 'The upload could not be stored; retry shortly.'));
  }
}

/**
 * Time rules for one body: no pause between chunks longer than `idleMs`, and after the first
 * `idleMs`, at least `minRate` bytes per second on average. Only time spent waiting for the
 * client counts (not our own writes to the input store). A breach ends the iteration with 408.
 */
class BodyWatch {
  private timer: NodeJS.Timeout | null = null;
  private waitingSince: number | null = null;
  /** Time spent waiting for the client, up to the current wait. */
  private waited = 0;
  private received = 0;
  private fail: ((err: Error) => void) | null = null;

  constructor(private readonly idleMs: number, private readonly minRate: number) {}

  async *chunks(source: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
    const it = source[Symbol.asyncIterator]();
    this.timer = setInterval(() => this.check(), Math.max(25, Math.min(1000, Math.floor(this.idleMs / 4))));
    for (;;) {
      // A new breach promise per wait: racing one long-lived promise would keep every chunk
      // alive through its reaction list until the request ends.
      const breach = new Promise<never>((_, reject) => {
        this.fail = reject;
      });
      this.waitingSince = Date.now();
      const next = await Promise.race([it.next(), breach]);
      this.waited += Date.now() - this.waitingSince;
      this.waitingSince = null;
      this.fail = null;
      if (next.done) return;
      this.received += next.value.length;
      yield next.value;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private check(): void {
    if (this.waitingSince === null) return;
    const now = Date.now();
    const idle = now - this.waitingSince > this.idleMs;
    const waited = (this.waited + now - this.waitingSince - this.idleMs) / 1000;
    const slow = this.minRate > 0 && waited > 0 && this.received < waited * this.minRate;
    if (!idle && !slow) return;
    this.stop();
    this.fail?.(new ApiError('request_timeout', idle
      ? `The request body stalled for more than ${this.idleMs} ms; the upload was stopped.`
      : `The request body arrived slower than ${this.minRate} bytes/s; the upload was stopped.`));
  }
}
