/**
 * Recently read task rows, kept by the SQLite store so that a client polling query_task costs no
 * SQLite read (on virtualised hosts, mostly the WAL read lock's system calls: 13 % of query's CPU
 * under load). Coherent because this store is the only writer of its tasks table (one process,
 * one connection; other connections only read, or write other tables): every write method forgets
 * the rows it may change, and the next read goes to SQLite again. Rows are kept as read (strings
 * and numbers), so each get still builds a fresh record and no caller shares another's objects.
 */
import { LRUCache } from 'lru-cache';

/** Bytes of rows kept at most (a row's size is its text; params are at most ~64 KiB in a row). */
const MAX_BYTES = 16 * 1024 * 1024;

export class RowCache<R extends object> {
  private readonly rows: LRUCache<string, R>;

  constructor(size: (row: R) => number) {
    this.rows = new LRUCache<string, R>({ maxSize: MAX_BYTES, sizeCalculation: (row) => Math.max(1, size(row)) });
  }

  /** The row of `key`, from the cache or from `read` (which returns undefined for no row; not cached). */
  get(key: string, read: () => R | undefined): R | undefined {
    const hit = this.rows.get(key);
    if (hit) return hit;
    const row = read();
    if (row) this.rows.set(key, row);
    return row;
  }

  forget(key: string): void {
    this.rows.delete(key);
  }

  clear(): void {
    this.rows.clear();
  }
}
