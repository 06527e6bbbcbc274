/** A growable byte buffer: appends copy, so it never keeps a caller's (socket) chunk alive. */
export class ByteSink {
  private buf: Buffer;
  private len = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  get length(): number {
    return this.len;
  }

  /** Bytes of memory held (what an in-flight budget should count). */
  get capacity(): number {
    return this.buf.length;
  }

  append(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    if (n <= 0) return;
    if (this.len + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < this.len + n) size *= 2;
      const next = Buffer.allocUnsafe(size);
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    this.buf.set(src.subarray(start, end), this.len);
    this.len += n;
  }

  appendByte(b: number): void {
    if (this.len === this.buf.length) this.append(Buffer.of(b));
    else this.buf[this.len++] = b;
  }

  /** A view of the bytes so far (valid until the next append or reset). */
  view(start = 0): Buffer {
    return this.buf.subarray(start, this.len);
  }

  /** Empties the sink; with `shrinkTo`, also gives back memory beyond that size. */
  reset(shrinkTo?: number): void {
    this.len = 0;
    if (shrinkTo !== undefined && this.buf.length > shrinkTo) this.buf = Buffer.allocUnsafe(shrinkTo);
  }
}
