/**
 * Python's `html.unescape`, which CLIP applies (twice) to every prompt: numeric references with
 * Python's Windows-1252 mapping of 0x80–0x9F and the code points it drops; named references
 * from the full HTML5 table, where legacy names also match without `;` and by longest prefix.
 */
import { HTML5_ENTITIES } from './html-entities.js';

/** Keys exactly as in Python's html5 table: `name;` always, bare `name` for the legacy ones. */
const NAMED: ReadonlyMap<string, string> = new Map(
  HTML5_ENTITIES.trim()
    .split(' ')
    .map((entry) => {
      const [name, hex] = entry.split('=') as [string, string];
      return [name, String.fromCodePoint(...hex.split('.').map((h) => parseInt(h, 16)))] as const;
    }),
);

/** Python's `_invalid_charrefs`: what a numeric reference to these code points yields. */
const INVALID_CHARREFS: ReadonlyMap<number, string> = new Map([
  [0x00, '\ufffd'], [0x0d, '\r'], [0x80, '\u20ac'], [0x81, '\x81'], [0x82, '\u201a'],
  [0x83, '\u0192'], [0x84, '\u201e'], [0x85, '\u2026'], [0x86, '\u2020'], [0x87, '\u2021'],
  [0x88, '\u02c6'], [0x89, '\u2030'], [0x8a, '\u0160'], [0x8b, '\u2039'], [0x8c, '\u0152'],
  [0x8d, '\x8d'], [0x8e, '\u017d'], [0x8f, '\x8f'], [0x90, '\x90'], [0x91, '\u2018'],
  [0x92, '\u2019'], [0x93, '\u201c'], [0x94, '\u201d'], [0x95, '\u2022'], [0x96, '\u2013'],
  [0x97, '\u2014'], [0x98, '\u02dc'], [0x99, '\u2122'], [0x9a, '\u0161'], [0x9b, '\u203a'],
  [0x9c, '\u0153'], [0x9d, '\x9d'], [0x9e, '\u017e'], [0x9f, '\u0178'],
]);

/** Python's `_invalid_codepoints`: numeric references to these vanish. */
function isDroppedCodePoint(cp: number): boolean {
  return (
    (cp >= 0x1 && cp <= 0x8) ||
    cp === 0xb ||
    (cp >= 0xe && cp <= 0x1f) ||
    (cp >= 0x7f && cp <= 0x9f) ||
    (cp >= 0xfdd0 && cp <= 0xfdef) ||
    (cp & 0xfffe) === 0xfffe
  );
}

function numericReference(digits: string, hex: boolean): string {
  const cp = parseInt(digits, hex ? 16 : 10);
  const special = INVALID_CHARREFS.get(cp);
  if (special !== undefined) return special;
  if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || !Number.isFinite(cp)) return '\ufffd';
  if (isDroppedCodePoint(cp)) return '';
  return String.fromCodePoint(cp);
}

function namedReference(name: string): string {
  const whole = NAMED.get(name);
  if (whole !== undefined) return whole;
  // Longest legacy prefix wins, the rest of the run stays as text ("&ampx" → "&x").
  for (let len = name.length - 1; len > 1; len--) {
    const value = NAMED.get(name.slice(0, len));
    if (value !== undefined) return value + name.slice(len);
  }
  return `&${name}`;
}

const REFERENCE = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/g;

export function htmlUnescape(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(REFERENCE, (_match, body: string) => {
    if (body[0] === '#') {
      const hex = body[1] === 'x' || body[1] === 'X';
      const digits = body.slice(hex ? 2 : 1).replace(/;$/, '');
      return numericReference(digits, hex);
    }
    return namedReference(body);
  });
}
