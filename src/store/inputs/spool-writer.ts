/**
 * The InputWriter both stores hand out: bytes go to a spool file; `commit` makes them the input
 * (a rename into the folder, or an upload), `abort` drops them, and neither runs twice. Only the
 * commit step and what each chunk also feeds (the S3 payload hash) differ between stores.
 */
import type { InputWriter } from './input-store.js';
import type { SpoolFile } from './spool-file.js';

export interface SpoolCommit {
  /** Each chunk as it is written (e.g. a running hash). */
  onChunk?(chunk: Uint8Array): void;
  /** Makes the closed spool the input; the spool is removed when this throws. */
  commit(spool: SpoolFile): Promise<void>;
}

export function spoolWriter(id: string, spool: SpoolFile, how: SpoolCommit): InputWriter {
  let done = false;
  return {
    get bytes() {
      return spool.bytes;
    },
    get buffered() {
      return spool.buffered;
    },
    async write(chunk) {
      if (done) throw new Error('input already finished');
      how.onChunk?.(chunk);
      await spool.write(chunk);
    },
    async commit() {
      if (done) throw new Error('input already finished');
      done = true;
      try {
        await spool.close();
        await how.commit(spool);
        return id;
      } catch (err) {
        await spool.remove();
        throw err;
      }
    },
    async abort() {
      if (done) return;
      done = true;
      await spool.remove();
    },
  };
}
