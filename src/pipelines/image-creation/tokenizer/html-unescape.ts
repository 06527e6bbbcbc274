/**
 * Python's `html.unescape`, which CLIP applies (twice) to every prompt. Numeric references
 * follow Python exactly (including its Windows-1252 mapping of 0x80–0x9F and the code points it
 * drops). Named references cover the 106 legacy HTML4/Latin-1 names (which, as in Python, also
 * match without the `;` and by longest prefix) plus the common typographic and Greek names;
 * the rest of HTML5's 2,000-odd names are left as typed, a difference that only shows on
 * prompts that spell such entities out.
 */

const LEGACY =
  'Aacute:c1 aacute:e1 Acirc:c2 acirc:e2 acute:b4 AElig:c6 aelig:e6 Agrave:c0 agrave:e0 AMP:26 ' +
  'amp:26 Aring:c5 aring:e5 Atilde:c3 atilde:e3 Auml:c4 auml:e4 brvbar:a6 Ccedil:c7 ccedil:e7 ' +
  'cedil:b8 cent:a2 COPY:a9 copy:a9 curren:a4 deg:b0 divide:f7 Eacute:c9 eacute:e9 Ecirc:ca ' +
  'ecirc:ea Egrave:c8 egrave:e8 ETH:d0 eth:f0 Euml:cb euml:eb frac12:bd frac14:bc frac34:be GT:3e ' +
  'gt:3e Iacute:cd iacute:ed Icirc:ce icirc:ee iexcl:a1 Igrave:cc igrave:ec iquest:bf Iuml:cf ' +
  'iuml:ef laquo:ab LT:3c lt:3c macr:af micro:b5 middot:b7 nbsp:a0 not:ac Ntilde:d1 ntilde:f1 ' +
  'Oacute:d3 oacute:f3 Ocirc:d4 ocirc:f4 Ograve:d2 ograve:f2 ordf:aa ordm:ba Oslash:d8 oslash:f8 ' +
  'Otilde:d5 otilde:f5 Ouml:d6 ouml:f6 para:b6 plusmn:b1 pound:a3 QUOT:22 quot:22 raquo:bb REG:ae ' +
  'reg:ae sect:a7 shy:ad sup1:b9 sup2:b2 sup3:b3 szlig:df THORN:de thorn:fe times:d7 Uacute:da ' +
  'uacute:fa Ucirc:db ucirc:fb Ugrave:d9 ugrave:f9 uml:a8 Uuml:dc uuml:fc Yacute:dd yacute:fd ' +
  'yen:a5 yuml:ff';

/** Names that only match with their trailing semicolon. */
const SEMICOLON_ONLY =
  'apos:27 hellip:2026 mdash:2014 ndash:2013 lsquo:2018 rsquo:2019 ldquo:201c rdquo:201d ' +
  'sbquo:201a bdquo:201e bull:2022 trade:2122 euro:20ac dagger:2020 Dagger:2021 permil:2030 ' +
  'lsaquo:2039 rsaquo:203a prime:2032 Prime:2033 oelig:153 OElig:152 scaron:161 Scaron:160 ' +
  'Yuml:178 fnof:192 circ:2c6 tilde:2dc ensp:2002 emsp:2003 thinsp:2009 zwnj:200c zwj:200d ' +
  'lrm:200e rlm:200f larr:2190 rarr:2192 uarr:2191 darr:2193 harr:2194 hearts:2665 spades:2660 ' +
  'clubs:2663 diams:2666 star:2606 check:2713 infin:221e ne:2260 le:2264 ge:2265 minus:2212 ' +
  'alpha:3b1 beta:3b2 gamma:3b3 delta:3b4 pi:3c0 sigma:3c3 omega:3c9 mu:3bc lambda:3bb theta:3b8 ' +
  'Omega:3a9';

function parseTable(spec: string): Array<[string, string]> {
  return spec.split(' ').map((entry) => {
    const [name, hex] = entry.split(':') as [string, string];
    return [name, String.fromCodePoint(parseInt(hex, 16))];
  });
}

/** Keys as Python's html5 table has them: `name;` always, bare `name` for the legacy ones. */
const NAMED: ReadonlyMap<string, string> = (() => {
  const map = new Map<string, string>();
  for (const [name, value] of parseTable(LEGACY)) {
    map.set(name, value);
    map.set(`${name};`, value);
  }
  for (const [name, value] of parseTable(SEMICOLON_ONLY)) map.set(`${name};`, value);
  return map;
})();

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
