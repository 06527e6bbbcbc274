/** Results on local disk or a shared volume (NFS/EFS): published as written, served from the folder. */
import { lstat, opendir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isResultName, resultType, type ResultLocation, type ResultStore, type StoredResult } from './result-store.js';

/** unlink that treats "already gone" as done (a removal may race another node's). */
export async function unlinkIfPresent(path: string): Promise<void> {
  await unlink(path).catch((err: { code?: string }) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

export class LocalResultStore implements ResultStore {
  readonly kind = 'local' as const;

  constructor(private readonly dir: string) {}

  async publish(): Promise<void> {
    // Already in place: pipelines write atomically into this folder.
  }

  locate(name: string): ResultLocation | null {
    return isResultName(name) ? { kind: 'file', path: join(this.dir, name) } : null;
  }

  async remove(name: string): Promise<void> {
    if (isResultName(name)) await unlinkIfPresent(join(this.dir, name));
  }

  /**
   * Streams the folder (no array of every name) and stats each result. Temp files (`.x.tmp`, not
   * result names) and anything that is not a plain file (a planted symlink) are not results.
   */
  async *list(): AsyncIterable<StoredResult> {
    const dir = await opendir(this.dir, { bufferSize: 256 });
    for await (const entry of dir) {
      if (!entry.isFile() || !isResultName(entry.name) || !resultType(entry.name)) continue;
      const info = await lstat(join(this.dir, entry.name)).catch(() => null);
      if (info?.isFile()) yield { name: entry.name, bytes: info.size, modifiedMs: info.mtimeMs };
    }
  }
}
