/**
 * Request payloads kept outside the task record. A large string of a submit body (a `data:` URI
 * of several MiB) streams into an input store while it arrives; the task's params then hold a
 * short reference to it (`backserv-input:<id>`), so the task row, the queue and start-up reads
 * stay small, and the worker reads the payload back when it runs the task.
 *
 * Ids are 128 random bits in hex, made here and checked before they touch storage: a client can
 * neither pick one nor name a path with one. Clients cannot submit a reference at all (the
 * request schemas admit http(s) and data: only); references are made by the API after it has
 * stored the bytes.
 */

/** Streams one new input; nothing is visible under its id until commit() resolves. */
export interface InputWriter {
  /**
   * Appends bytes; resolves when the caller may send more (backpressure). Stores may keep the
   * chunk itself until a batch is written, so the caller must not change it afterwards.
   */
  write(chunk: Uint8Array): Promise<void>;
  /** Makes the input visible under its id (atomic: a reader sees all of it or nothing). */
  commit(): Promise<string>;
  /** Drops what was written; safe to call at any time, also after a failed write. */
  abort(): Promise<void>;
  /** Bytes written so far. */
  readonly bytes: number;
  /** Bytes accepted but still held in memory (a write batch). */
  readonly buffered: number;
}

export interface InputStore {
  readonly kind: 'local' | 's3';
  begin(): InputWriter;
  /** Stores a whole stream as a new input; resolves to its id. */
  put(source: AsyncIterable<Uint8Array>): Promise<string>;
  /** The input's bytes in chunks; throws InputMissingError when there is none with this id. */
  open(id: string): AsyncIterable<Buffer>;
  read(id: string): Promise<Buffer>;
  /** Removes the input; an unknown id is not an error. */
  delete(id: string): Promise<void>;
}

/** No input with this id (never stored, deleted, or not a well-formed id). */
export class InputMissingError extends Error {
  constructor() {
    super('the stored input is not available');
    this.name = 'InputMissingError';
  }
}

const ID = /^[0-9a-f]{32}$/;
export const INPUT_REF_PREFIX = 'backserv-input:';

export function isInputId(id: string): boolean {
  return ID.test(id);
}

export function inputRef(id: string): string {
  if (!isInputId(id)) throw new TypeError('not an input id');
  return INPUT_REF_PREFIX + id;
}

/** The id inside a reference made by inputRef, or null for anything else (URLs, data: URIs). */
export function parseInputRef(ref: string): string | null {
  if (!ref.startsWith(INPUT_REF_PREFIX)) return null;
  const id = ref.slice(INPUT_REF_PREFIX.length);
  return isInputId(id) ? id : null;
}

/** put() for any store: begin, copy, commit; the partial input is dropped if the source fails. */
export async function putFrom(store: InputStore, source: AsyncIterable<Uint8Array>): Promise<string> {
  const w = store.begin();
  try {
    for await (const chunk of source) await w.write(chunk);
    return await w.commit();
  } catch (err) {
    await w.abort();
    throw err;
  }
}
