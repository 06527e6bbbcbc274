/**
 * A temp file that an upload streams into, for both input stores. Writes are gathered into
 * batches of about WRITE_BATCH bytes and written with one writev: each write call costs the
 * event loop a fixed ~20 µs however small it is, so batching keeps a many-MiB upload from
 * adding up to milliseconds of main-thread time per MiB. The gathered pieces are the caller's
 * buffers (no copy), so memory held per upload stays at one batch.
 */
import { mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

export const WRITE_BATCH = 256 * 1024;

export class SpoolFile {
  private handle: Promise<FileHandle> | null = null;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private written = 0;

  constructor(readonly path: string) {}

  /** Bytes accepted so far. */
  get bytes(): number {
    return this.written + this.pendingBytes;
  }

  /** Bytes accepted but not yet handed to the file (memory this upload holds). */
  get buffered(): number {
    return this.pendingBytes;
  }

  /** Keeps `chunk` (not a copy: the caller must not change it) and writes once a batch is full. */
  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.length === 0) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= WRITE_BATCH) await this.flush();
  }

  /** Writes what is pending and closes the file (creating it if nothing was written). */
  async close(): Promise<void> {
    await this.flush();
    const fh = await this.file();
    this.handle = null;
    await fh.close();
  }

  /** Closes (if open) and removes the file; never throws. */
  async remove(): Promise<void> {
    this.pending = [];
    this.pendingBytes = 0;
    if (this.handle) await (await this.handle.catch(() => null))?.close().catch(() => undefined);
    this.handle = null;
    await unlink(this.path).catch(() => undefined);
  }

  private file(): Promise<FileHandle> {
    // The folder is made on first use, so readers (worker threads) never create it; 'wx' so a
    // temp name can never overwrite anything.
    return (this.handle ??= mkdir(dirname(this.path), { recursive: true }).then(() => open(this.path, 'wx')));
  }

  private async flush(): Promise<void> {
    const fh = await this.file();
    let batch = this.pending;
    this.pending = [];
    const size = this.pendingBytes;
    this.pendingBytes = 0;
    let left = size;
    while (left > 0) {
      const { bytesWritten } = await fh.writev(batch);
      this.written += bytesWritten;
      left -= bytesWritten;
      if (left > 0) batch = remainder(batch, bytesWritten);
    }
  }
}

/** The pieces of `batch` after its first `skip` bytes (a short writev). */
function remainder(batch: Uint8Array[], skip: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const b of batch) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}
