/**
 * Protobuf fields of an ONNX file read straight from disk: a cursor of positional reads through one
 * small window, and the fields of a message with their payloads left in the file. Callers walk
 * only the messages they need and skip the rest (tensor data above all) by length, so a file of
 * gigabytes costs the few MB of structure they visit. Used by the LoRA name scan and by
 * face_swap's emap read (the last initializer of a 554 MB inswapper).
 */
import { fstatSync, readSync } from 'node:fs';

export class OnnxScanError extends Error {}

const WINDOW = 64 * 1024;
/** After a jump: enough for an initializer's dims, type and name (they come before its data). */
const JUMP = 4 * 1024;

/** Positional reads through one small window (the scan moves forward, with jumps over tensor data). */
export class FileCursor {
  private buf = new Uint8Array(WINDOW);
  private at = 0;
  private len = 0;
  readonly size: number;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly fd: number) {
    this.size = fstatSync(fd).size;
  }

  private byte(pos: number): number {
    if (pos < this.at || pos >= this.at + this.len) {
      if (pos >= this.size) throw new OnnxScanError('is cut short (a field runs past the end of the file)');
      this.fill(pos);
    }
    return this.buf[pos - this.at];
  }

  /** A read that carries on from the window takes a whole window; a jump (over tensor data) a short one. */
  private fill(pos: number, need = 1): void {
    const n = Math.max(need, pos === this.at + this.len ? WINDOW : JUMP);
    this.at = pos;
    this.len = readSync(this.fd, this.buf, 0, Math.min(n, this.size - pos), pos);
  }

  /** A varint at `pos` (up to 2^53, which every length and int64 this scan reads stays under) and where it ends. */
  varint(pos: number): [number, number] {
    let value = 0;
    let scale = 1;
    for (let k = 0; k < 10; k++) {
      const b = this.byte(pos++);
      value += (b & 0x7f) * scale;
      if (b < 0x80) return [value, pos];
      scale *= 128;
    }
    throw new OnnxScanError('holds a malformed varint');
  }

  text(pos: number, n: number): string {
    if (pos + n > this.size) throw new OnnxScanError('is cut short (a string runs past the end of the file)');
    if (n === 0) return '';
    if (n <= WINDOW) {
      if (pos < this.at || pos + n > this.at + this.len) this.fill(pos, n);
      return this.decoder.decode(this.buf.subarray(pos - this.at, pos - this.at + n));
    }
    return this.decoder.decode(this.bytes(pos, n));
  }

  /** `n` bytes at `pos`, read past the window (a message to decode whole, a long string). */
  bytes(pos: number, n: number): Buffer {
    if (pos + n > this.size) throw new OnnxScanError('is cut short (a field runs past the end of the file)');
    const out = Buffer.alloc(n);
    for (let done = 0; done < n;) {
      const got = readSync(this.fd, out, done, n - done, pos + done);
      if (got === 0) throw new OnnxScanError('is cut short (the file ended while being read)');
      done += got;
    }
    return out;
  }
}

export interface Field {
  num: number;
  wire: number;
  /** Value for varints; else where the payload starts and its length. */
  value: number;
  start: number;
  len: number;
}

/** The fields of the message in [start, end), with payloads left in the file. */
export function* fields(c: FileCursor, start: number, end: number): Generator<Field> {
  let pos = start;
  while (pos < end) {
    const [tag, p] = c.varint(pos);
    const num = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === 0) {
      const [value, q] = c.varint(p);
      yield { num, wire, value, start: p, len: q - p };
      pos = q;
    } else if (wire === 2) {
      const [len, q] = c.varint(p);
      yield { num, wire, value: 0, start: q, len };
      pos = q + len;
    } else if (wire === 1 || wire === 5) {
      const len = wire === 1 ? 8 : 4;
      yield { num, wire, value: 0, start: p, len };
      pos = p + len;
    } else {
      throw new OnnxScanError(`holds a protobuf field of wire type ${wire}, which ONNX does not use`);
    }
    if (pos > end) throw new OnnxScanError('is cut short (a message runs past its parent)');
  }
}

