/**
 * Inputs as files in one folder (`BACKSERV_DATA_DIR/inputs`; in scale-out a shared volume, like
 * the results folder). A new input is written as `.<id>.tmp` and renamed to `<id>` on commit, so
 * a reader never sees a partial file; temp files a crash left behind are removed by sweep().
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, readdirSync, rmSync, statSync } from 'node:fs';
import { readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { InputMissingError, isInputId, putFrom, type InputStore, type InputWriter } from './input-store.js';
import { SpoolFile } from './spool-file.js';
import { spoolWriter } from './spool-writer.js';

export class LocalInputStore implements InputStore {
  readonly kind = 'local' as const;

  constructor(readonly dir: string) {}

  begin(): InputWriter {
    const id = randomBytes(16).toString('hex');
    const spool = new SpoolFile(join(this.dir, `.${id}.tmp`));
    return spoolWriter(id, spool, { commit: (done) => rename(done.path, join(this.dir, id)) });
  }

  put(source: AsyncIterable<Uint8Array>): Promise<string> {
    return putFrom(this, source);
  }

  async *open(id: string): AsyncIterable<Buffer> {
    const stream = createReadStream(this.path(id), { highWaterMark: 1 << 20 });
    try {
      for await (const chunk of stream) yield chunk as Buffer;
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') throw new InputMissingError();
      throw err;
    } finally {
      stream.destroy();
    }
  }

  async read(id: string): Promise<Buffer> {
    try {
      return await readFile(this.path(id));
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') throw new InputMissingError();
      throw err;
    }
  }

  async delete(id: string): Promise<void> {
    if (!isInputId(id)) return;
    await unlink(join(this.dir, id)).catch((err: { code?: string }) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  private path(id: string): string {
    if (!isInputId(id)) throw new InputMissingError();
    return join(this.dir, id);
  }
}

/**
 * Removes temp files older than `olderThanMs` from an inputs (or spool) folder: uploads that a
 * crash cut off. Serve nodes may share the folder, so a young temp file may be another node's
 * upload in progress and stays.
 */
export function sweepStaleInputs(dir: string, olderThanMs: number, now = Date.now()): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const f of names) {
    if (!f.startsWith('.') || !f.endsWith('.tmp')) continue;
    const p = join(dir, f);
    try {
      if (now - statSync(p).mtimeMs < olderThanMs) continue;
      rmSync(p, { force: true });
      removed++;
    } catch {
      // gone meanwhile
    }
  }
  return removed;
}
