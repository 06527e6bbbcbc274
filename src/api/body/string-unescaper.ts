/**
 * Incremental decoding of a JSON string's content (the bytes between its quotes) to UTF-8, with
 * exactly JSON.parse's rules: the escapes \" \\ \/ \b \f \n \r \t \uXXXX only, no raw control
 * characters, valid UTF-8. Content arrives in pieces cut anywhere (inside an escape, inside a
 * multi-byte character); what cannot be decided yet is carried to the next piece. Used for strings
 * too long to keep in memory, which go to the input store as they arrive.
 *
 * It also counts the string's length the way ajv's maxLength/minLength do (code points: a
 * surrogate pair is one), so a stand-in can be given the same length for validation.
 *
 * One difference from JSON.parse is unavoidable: a lone surrogate (`\uD800` unpaired) has no
 * UTF-8 form and is stored as U+FFFD, as Buffer.from(string) would do.
 */
import { isAscii, isUtf8 } from 'node:buffer';

export class JsonStringError extends Error {}

const SIMPLE: Record<number, number> = {
  0x22: 0x22, 0x5c: 0x5c, 0x2f: 0x2f, 0x62: 0x08, 0x66: 0x0c, 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09,
};
const REPLACEMENT = [0xef, 0xbf, 0xbd];

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}

/** Bytes at the end of `buf[from, end)` that start a UTF-8 sequence longer than what is there. */
function incompleteTail(buf: Uint8Array, from: number, end: number): number {
  for (let back = 1; back <= 3 && end - back >= from; back++) {
    const b = buf[end - back];
    if ((b & 0xc0) === 0x80) continue; // continuation: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/** Code points in raw UTF-8 bytes (continuation bytes do not count); refuses control characters. */
function countRaw(input: Uint8Array, start: number, end: number): number {
  const part = Buffer.from(input.buffer, input.byteOffset + start, end - start);
  if (isAscii(part)) {
    // The common case (base64): native scans instead of a loop over every byte.
    for (let c = 0; c < 0x20; c++) {
      if (part.indexOf(c) >= 0) throw new JsonStringError('a control character in a string must be escaped');
    }
    return part.length;
  }
  let cps = 0;
  for (let k = start; k < end; k++) {
    const b = input[k];
    if (b < 0x20) throw new JsonStringError('a control character in a string must be escaped');
    if ((b & 0xc0) !== 0x80) cps++;
  }
  return cps;
}

export class StringUnescaper {
  /** Length in code points as ajv counts it (ucs2length). */
  codePoints = 0;
  private carry: Buffer | null = null;
  /** A \uD800–\uDBFF escape waiting to see whether a low surrogate escape follows. */
  private high = -1;
  /**
   * Output of the current call. Decoding never makes content longer, except that a high surrogate
   * carried in from the previous piece may turn into 3 bytes of U+FFFD here: hence length + 3.
   */
  private out = Buffer.alloc(0);
  private len = 0;

  /**
   * Decodes the next piece of content; returns its UTF-8 bytes: a view of `piece` when it has no
   * escapes (the common case for data: URIs; no copy), else a new buffer.
   */
  push(piece: Uint8Array): Buffer {
    if (!this.carry && this.high < 0 && piece.indexOf(0x5c) < 0) return this.rawOnly(piece);
    const input = this.carry ? Buffer.concat([this.carry, piece]) : piece;
    this.carry = null;
    this.out = Buffer.allocUnsafe(input.length + 3);
    this.len = 0;
    const n = input.length;
    let i = 0;
    while (i < n) {
      let bs = input.indexOf(0x5c, i);
      if (bs < 0) bs = n;
      if (bs > i) {
        // A raw run. If it reaches the end of the input, a character cut there waits for the rest.
        const end = bs === n ? bs - incompleteTail(input, i, bs) : bs;
        if (end > i) {
          this.flushHigh();
          this.raw(input, i, end);
        }
        if (end < bs) {
          this.carry = Buffer.from(input.subarray(end, bs));
          break;
        }
        i = bs;
        if (i === n) break;
      }
      // An escape at i.
      if (i + 1 >= n) {
        this.carry = Buffer.from(input.subarray(i));
        break;
      }
      const c = input[i + 1];
      if (c !== 0x75) {
        const v = SIMPLE[c];
        if (v === undefined) throw new JsonStringError('invalid escape in a string');
        this.flushHigh();
        this.out[this.len++] = v;
        this.codePoints++;
        i += 2;
        continue;
      }
      if (i + 6 > n) {
        this.carry = Buffer.from(input.subarray(i));
        break;
      }
      let cu = 0;
      for (let k = 2; k < 6; k++) {
        const h = hexValue(input[i + k]);
        if (h < 0) throw new JsonStringError('invalid \\u escape in a string');
        cu = (cu << 4) | h;
      }
      this.unit(cu);
      i += 6;
    }
    const out = this.out.subarray(0, this.len);
    if (!isUtf8(out)) throw new JsonStringError('a string is not valid UTF-8');
    return out;
  }

  /** The string has closed: anything still carried is a cut escape or character. */
  end(): Buffer {
    if (this.carry) throw new JsonStringError('a string ends inside an escape or a character');
    this.out = Buffer.allocUnsafe(3);
    this.len = 0;
    this.flushHigh();
    return this.out.subarray(0, this.len);
  }

  /** A piece without escapes: checked and counted in place. */
  private rawOnly(piece: Uint8Array): Buffer {
    const view = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    const end = piece.length - incompleteTail(piece, 0, piece.length);
    this.codePoints += countRaw(piece, 0, end);
    if (end < piece.length) this.carry = Buffer.from(piece.subarray(end));
    const out = view.subarray(0, end);
    if (!isUtf8(out)) throw new JsonStringError('a string is not valid UTF-8');
    return out;
  }

  private raw(input: Uint8Array, start: number, end: number): void {
    this.codePoints += countRaw(input, start, end);
    this.out.set(input.subarray(start, end), this.len);
    this.len += end - start;
  }

  private unit(cu: number): void {
    if (cu >= 0xdc00 && cu <= 0xdfff && this.high >= 0) {
      const cp = 0x10000 + ((this.high - 0xd800) << 10) + (cu - 0xdc00);
      this.high = -1;
      // The pair counts as one code point, already counted with its high half.
      this.put(Buffer.from(String.fromCodePoint(cp), 'utf8'));
      return;
    }
    this.flushHigh();
    this.codePoints++;
    if (cu >= 0xd800 && cu <= 0xdbff) this.high = cu;
    else if (cu >= 0xdc00 && cu <= 0xdfff) this.put(REPLACEMENT);
    else this.put(Buffer.from(String.fromCharCode(cu), 'utf8'));
  }

  private flushHigh(): void {
    if (this.high < 0) return;
    this.high = -1;
    this.put(REPLACEMENT);
  }

  private put(bytes: ArrayLike<number>): void {
    if (this.len + bytes.length > this.out.length) {
      // Not reached given the + 3 above; kept so a miscount cannot write out of bounds.
      const grown = Buffer.allocUnsafe(this.len + bytes.length + 16);
      this.out.copy(grown, 0, 0, this.len);
      this.out = grown;
    }
    for (let k = 0; k < bytes.length; k++) this.out[this.len++] = bytes[k];
  }
}
