/**
 * CLIP's byte-level alphabet: every byte gets a printable code point so that BPE works on
 * strings without whitespace or control characters. Printable Latin-1 bytes keep their own
 * code point; the other 68 bytes take 256, 257, … in ascending byte order.
 *
 * The ORDER of this list matters: CLIP's vocabulary starts with these 256 symbols in exactly
 * this order (printable bytes first), so `!` (byte 33) is id 0, not byte 0.
 */
function isPrintable(byte: number): boolean {
  return (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) || (byte >= 174 && byte <= 255);
}

/** Byte values in vocabulary order, paired with their symbols. */
export function byteSymbolsInVocabOrder(): Array<[byte: number, symbol: string]> {
  const out: Array<[number, string]> = [];
  for (let b = 0; b < 256; b++) if (isPrintable(b)) out.push([b, String.fromCodePoint(b)]);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!isPrintable(b)) {
      out.push([b, String.fromCodePoint(256 + n)]);
      n++;
    }
  }
  return out;
}

/** byte value → symbol, indexed by byte. */
export function byteEncoder(): string[] {
  const table = new Array<string>(256);
  for (const [byte, symbol] of byteSymbolsInVocabOrder()) table[byte] = symbol;
  return table;
}

/** symbol → byte value. */
export function byteDecoder(): Map<string, number> {
  return new Map(byteSymbolsInVocabOrder().map(([byte, symbol]) => [symbol, byte]));
}
