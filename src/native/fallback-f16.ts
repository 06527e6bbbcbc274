/**
 * IEEE binary32 ↔ binary16 on bit patterns, bit-identical to native/src/f16.rs:
 * round to nearest even (subnormals included), overflow → ±inf, NaN → quiet NaN
 * keeping the sign and top payload bits (f16 0x7e00 | payload, f32 0x7fc00000 | payload).
 * Bits are read and written through Uint32Array views so NaN payloads survive.
 */

export function f32BitsToF16(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e >= 1) {
    let h = (e << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    // A carry out of the mantissa correctly bumps the exponent (up to inf).
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++;
    return sign | h;
  }
  // f16 subnormal or zero: the value is m · 2^(exp-150); the f16 unit is 2^-24.
  const shift = 14 - e;
  if (shift > 24) return sign;
  const m = mant | 0x800000;
  let h = m >>> shift;
  const rest = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && (h & 1) === 1)) h++;
  return sign | h;
}

export function f16BitsToF32(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) {
    if (mant === 0) return sign >>> 0;
    // Subnormal: normalise the mantissa into an f32 exponent.
    let e = 113;
    let m = mant;
    while ((m & 0x400) === 0) {
      m <<= 1;
      e--;
    }
    return (sign | (e << 23) | ((m & 0x3ff) << 13)) >>> 0;
  }
  if (exp === 31) return (mant === 0 ? sign | 0x7f800000 : sign | 0x7fc00000 | (mant << 13)) >>> 0;
  return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
}

let f16Table: Uint32Array | undefined;

/** All 65,536 conversions, built on first use (256 KiB). */
function table(): Uint32Array {
  if (!f16Table) {
    f16Table = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16BitsToF32(h);
  }
  return f16Table;
}

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

export function f32ToF16(src: Float32Array, out: Uint16Array): void {
  const s = bits(src);
  for (let i = 0; i < s.length; i++) out[i] = f32BitsToF16(s[i]);
}

export function f16ToF32(src: Uint16Array, out: Float32Array): void {
  const t = table();
  const o = bits(out);
  for (let i = 0; i < src.length; i++) o[i] = t[src[i]];
}
