/**
 * The incremental JSON scanner that diverts long strings: for any body and any way of cutting it
 * into chunks, skeleton + diverted strings must equal JSON.parse of the whole body, and a body
 * JSON.parse refuses must be refused. Tricky spots: escaped quotes and backslashes on chunk
 * boundaries, \u escapes and surrogate pairs cut in half, multi-byte UTF-8 cut in half, strings
 * exactly at the threshold, chunks of one byte. Fresh random cases each run (seed printed).
 */
import { describe, expect, it } from 'vitest';
import { JsonSpillScanner, JsonStringError } from '../../src/api/body/json-scanner.js';

const PH = (i: number) => `"\\u0000P${i}\\u0000"`;
const utf8 = new TextDecoder('utf-8', { fatal: true });

interface Scanned { value: unknown; spills: string[]; codePoints: number[]; heads: string[] }

/** Runs the scanner over `body` cut into pieces of `chunk` bytes (or the given cut points). */
function scan(body: Buffer, chunk: number | number[], threshold: number, headBytes = 8): Scanned {
  const s = new JsonSpillScanner({ threshold, headBytes, placeholder: PH });
  const parts: Buffer[][] = [];
  const codePoints: number[] = [];
  const heads: string[] = [];
  const cuts = typeof chunk === 'number' ? Array.from({ length: Math.ceil(body.length / chunk) }, (_, i) => i * chunk).slice(1) : chunk;
  let prev = 0;
  for (const at of [...cuts, body.length]) {
    for (const e of s.push(body.subarray(prev, at))) {
      if (e.type === 'spill-start') parts[e.index] = [];
      else if (e.type === 'spill-data') parts[e.index].push(Buffer.from(e.bytes));
      else {
        codePoints[e.index] = e.codePoints;
        heads[e.index] = e.head;
      }
    }
    prev = at;
  }
  const spills = parts.map((p) => Buffer.concat(p).toString('utf8'));
  const restore = (str: string) => {
    const m = /^\u0000P(\d+)\u0000$/.exec(str);
    return m ? spills[Number(m[1])] : str;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return restore(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [restore(k), walk(x)]));
    return v;
  };
  return { value: walk(JSON.parse(utf8.decode(s.end()))), spills, codePoints, heads };
}

/** ajv's ucs2length: UTF-16 units, a surrogate pair counting once. */
function ucs2length(str: string): number {
  let n = 0;
  for (let i = 0; i < str.length; i++) {
    n++;
    const c = str.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < str.length) {
      const d = str.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  return n;
}

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A JSON text of `v` in which some characters are written as \u escapes (any char may be). */
function stringifyVariously(v: unknown, r: () => number): string {
  const json = JSON.stringify(v);
  let out = '';
  let inString = false;
  const chars = [...json]; // code points: a surrogate pair is escaped whole or not at all
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (!inString) {
      out += ch;
      if (ch === '"') inString = true;
      continue;
    }
    if (ch === '\\') {
      // Keep existing escapes whole.
      const len = chars[i + 1] === 'u' ? 6 : 2;
      out += chars.slice(i, i + len).join('');
      i += len - 1;
      continue;
    }
    if (ch === '"') {
      out += ch;
      inString = false;
      continue;
    }
    const roll = r();
    const hex = (u: number) => {
      const digits = u.toString(16).padStart(4, '0');
      return `\\u${r() < 0.5 ? digits : digits.toUpperCase()}`;
    };
    if (roll < 0.05) out += [...Array(ch.length).keys()].map((k) => hex(ch.charCodeAt(k))).join('');
    else if (roll < 0.07 && ch === '/') out += '\\/';
    else out += ch;
  }
  return out;
}

const ALPHABET = ['a', 'Z', '0', '"', '\\', '/', '\n', '\t', '\u0001', 'é', '€', '😀', '𝄞', ' ', '\u007f', '\u2028'];

function randomString(r: () => number, max: number): string {
  const len = Math.floor(r() ** 2 * max);
  let s = '';
  for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
  return s;
}

function randomValue(r: () => number, depth: number): unknown {
  const t = r();
  if (depth > 3 || t < 0.45) return t < 0.3 ? randomString(r, 80) : t < 0.38 ? Math.floor(r() * 1e6) / 7 : t < 0.42 ? null : r() < 0.5;
  if (t < 0.7) return Array.from({ length: Math.floor(r() * 5) }, () => randomValue(r, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = 0; i < r() * 5; i++) o[randomString(r, 30)] = randomValue(r, depth + 1);
  return o;
}

function expectSame(text: string | Buffer, chunk: number | number[], threshold: number): Scanned {
  const body = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const got = scan(body, chunk, threshold);
  expect(got.value).toEqual(JSON.parse(body.toString('utf8')));
  return got;
}

describe('JSON spill scanner', () => {
  it('equals JSON.parse on random bodies, for random thresholds and chunkings (seeded)', () => {
    const seed = Number(process.env.TEST_SEED) || Math.floor(Math.random() * 2 ** 31);
    const r = prng(seed);
    for (let n = 0; n < 400; n++) {
      const text = stringifyVariously(randomValue(r, 0), r);
      const body = Buffer.from(text, 'utf8');
      const threshold = 1 + Math.floor(r() * 40);
      const chunk = r() < 0.3 ? 1 : 1 + Math.floor(r() * 17);
      let got: Scanned;
      try {
        got = scan(body, chunk, threshold);
      } catch (err) {
        throw new Error(`seed ${seed}, case ${n}, threshold ${threshold}, chunk ${chunk}: ${text}: ${(err as Error).message}`);
      }
      expect(got.value, `seed ${seed}, case ${n}, threshold ${threshold}, chunk ${chunk}: ${text}`).toEqual(JSON.parse(text));
      for (let i = 0; i < got.spills.length; i++) expect(got.codePoints[i], `seed ${seed} case ${n}`).toBe(ucs2length(got.spills[i]));
    }
  });

  it('refuses exactly the mutated bodies JSON.parse refuses (seeded)', () => {
    const seed = Number(process.env.TEST_SEED) || Math.floor(Math.random() * 2 ** 31);
    const r = prng(seed);
    // Lone surrogates (in values or keys) are stored as U+FFFD by design (next tests); skip those.
    const wf = (s: string) => (s as string & { isWellFormed(): boolean }).isWellFormed();
    const wellFormed = (v: unknown): boolean => {
      if (typeof v === 'string') return wf(v);
      if (Array.isArray(v)) return v.every(wellFormed);
      if (v && typeof v === 'object') return Object.entries(v).every(([k, x]) => wf(k) && wellFormed(x));
      return true;
    };
    let refused = 0;
    for (let n = 0; n < 400; n++) {
      const bytes = [...Buffer.from(stringifyVariously(randomValue(r, 0), r), 'utf8')];
      for (let m = 0; m < 1 + r() * 2; m++) {
        const at = Math.floor(r() * (bytes.length + 1));
        if (r() < 0.3) bytes.splice(at, 1);
        else bytes.splice(at, 0, [0x22, 0x5c, 0x01, 0x75, 0x80, 0x7b][Math.floor(r() * 6)]);
      }
      const body = Buffer.from(bytes);
      let expected: unknown;
      let ok = true;
      try {
        expected = JSON.parse(utf8.decode(body));
      } catch {
        ok = false;
      }
      if (ok && !wellFormed(expected)) continue; // a lone surrogate: stored as U+FFFD (next test)
      const threshold = 1 + Math.floor(r() * 20);
      const chunk = 1 + Math.floor(r() * 9);
      const where = `seed ${seed}, case ${n}: ${body.toString('latin1')}`;
      if (ok) expect(scan(body, chunk, threshold).value, where).toEqual(expected);
      else {
        expect(() => scan(body, chunk, threshold), where).toThrow();
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(100);
  });

  it('finds the closing quote after escaped quotes and backslash runs cut at every position', () => {
    const value = { a: 'x\\"y\\\\', b: '\\\\\\"\\', c: ['"', '\\'], 'k\\"': 'end' };
    const text = JSON.stringify(value);
    const body = Buffer.from(text);
    for (let cut = 1; cut < body.length; cut++) {
      for (const threshold of [1, 3, 4, 100]) {
        expect(scan(body, [cut], threshold).value, `cut ${cut} threshold ${threshold}`).toEqual(value);
      }
    }
    expect(scan(body, 1, 2).value).toEqual(value);
  });

  it('decodes \\u escapes, surrogate pairs and multi-byte UTF-8 cut anywhere', () => {
    const text = '{"s":"\\u00e9\\uD83D\\uDE00😀€\\u20AC\\uD834\\uDD1Eé\\/\\b\\f\\n\\r\\t"}';
    const body = Buffer.from(text, 'utf8');
    for (let cut = 1; cut < body.length; cut++) {
      for (let cut2 = cut + 1; cut2 < body.length; cut2 += 3) {
        const got = scan(body, [cut, cut2], 2);
        expect(got.value).toEqual(JSON.parse(text));
        expect(got.codePoints[0]).toBe(ucs2length((JSON.parse(text) as { s: string }).s));
      }
    }
  });

  it('diverts a string only when its raw form is longer than the threshold', () => {
    const t = 64 * 1024;
    const at = 'a'.repeat(t);
    const over = 'b'.repeat(t + 1);
    const got = expectSame(JSON.stringify({ at, over, nested: { deep: [{ x: over }] } }), 65536, t);
    expect(got.spills).toEqual([over, over]);
    // Escapes count raw: 2 bytes each, so 32768 "\n" escapes are at the threshold and one more is over.
    const escaped = scan(Buffer.from(JSON.stringify(['\n'.repeat(t / 2), '\n'.repeat(t / 2 + 1)])), 4096, t);
    expect(escaped.spills).toEqual(['\n'.repeat(t / 2 + 1)]);
    expect(escaped.codePoints).toEqual([t / 2 + 1]);
  });

  it('keeps the head of a diverted string, cut at a character boundary', () => {
    const uri = `data:image/png;base64,${'A'.repeat(200)}`;
    const got = scan(Buffer.from(JSON.stringify({ u: uri, e: '€€€€€€' })), 7, 10, 8);
    expect(got.heads).toEqual(['data:ima', '€€']);
  });

  it('refuses what JSON.parse refuses, also inside diverted strings', () => {
    const bad = [
      '{"a":"x\u0001yyyyyyyyyyyy"}', // raw control character
      '{"a":"xx\\xyyyyyyyyyyy"}', // unknown escape
      '{"a":"xx\\u12G4yyyyyyyyyyy"}', // bad hex
      '{"a":"yyyyyyyyyyyyyy', // unterminated
      '{"a":"yyyyyyyyyyyyyy\\u00"}', // cut escape
    ];
    for (const text of bad) {
      expect(() => JSON.parse(text), text).toThrow();
      for (const chunk of [1, 3, 1000]) {
        expect(() => scan(Buffer.from(text), chunk, 4), `${text} / ${chunk}`).toThrow();
      }
    }
    // Invalid UTF-8 (a lone continuation byte, a cut sequence) inside a diverted string.
    for (const raw of [Buffer.from([0x80]), Buffer.from([0xe2, 0x82]), Buffer.from([0xed, 0xa0, 0x80])]) {
      const body = Buffer.concat([Buffer.from('["yyyyyyyyyy'), raw, Buffer.from('yyyy"]')]);
      for (const chunk of [1, 2, 1000]) expect(() => scan(body, chunk, 4)).toThrow(JsonStringError);
    }
  });

  it('stores a lone surrogate escape as U+FFFD (it has no UTF-8 form)', () => {
    const got = scan(Buffer.from('["\\uD800abcdefgh","\\uDC00abcdefgh"]'), 3, 4);
    expect(got.spills).toEqual(['\ufffdabcdefgh', '\ufffdabcdefgh']);
    expect(got.codePoints).toEqual([9, 9]);
  });
});
