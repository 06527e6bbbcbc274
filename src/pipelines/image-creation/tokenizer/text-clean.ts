/**
 * The text cleanup CLIP runs before BPE: `ftfy.fix_text`, `html.unescape` twice, whitespace
 * collapse, lowercase. ftfy itself is a large heuristic library (mojibake repair); what is
 * reproduced here are its cheap, deterministic fixes that change ordinary prompts: HTML
 * entities (ftfy's 'auto' mode: only when the text has no literal '<'), terminal escapes, C1 controls read as Windows-1252, Latin ligatures, full-width forms, curly quotes,
 * control characters and NFC. Mojibake repair is not attempted.
 */
import { htmlUnescape } from './html-unescape.js';

const TERMINAL_ESCAPE = /\x1b\[((?:\d|;)*)([a-zA-Z])/g;

/** Windows-1252 for 0x80–0x9F; the five undefined slots stay as they are, as in ftfy. */
const CP1252_C1 =
  '\u20ac\x81\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\x8d\u017d\x8f' +
  '\x90\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\x9d\u017e\u0178';

const LIGATURES: ReadonlyMap<string, string> = new Map([
  ['\u0132', 'IJ'], ['\u0133', 'ij'], ['\u0149', '\u02bcn'], ['\u01f1', 'DZ'], ['\u01f2', 'Dz'],
  ['\u01f3', 'dz'], ['\u01c4', 'D\u017d'], ['\u01c5', 'D\u017e'], ['\u01c6', 'd\u017e'],
  ['\u01c7', 'LJ'], ['\u01c8', 'Lj'], ['\u01c9', 'lj'], ['\u01ca', 'NJ'], ['\u01cb', 'Nj'],
  ['\u01cc', 'nj'], ['\ufb00', 'ff'], ['\ufb01', 'fi'], ['\ufb02', 'fl'], ['\ufb03', 'ffi'],
  ['\ufb04', 'ffl'], ['\ufb05', '\u017ft'], ['\ufb06', 'st'],
]);
const LIGATURE_CHARS = new RegExp(`[${[...LIGATURES.keys()].join('')}]`, 'g');

const CONTROL_CHARS = /[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/g;

function fixCharacterWidth(text: string): string {
  // ftfy maps U+3000 to a space and each of U+FF01–U+FFEF to its NFKC form.
  return text.replace(/[\u3000\uff01-\uffef]/g, (c) => (c === '\u3000' ? ' ' : c.normalize('NFKC')));
}

/** The deterministic part of `ftfy.fix_text` with its default settings (see the file comment). */
export function ftfyLite(text: string): string {
  let t = text.includes('<') ? text : htmlUnescape(text);
  t = t.replace(TERMINAL_ESCAPE, '');
  t = t.replace(/[\x80-\x9f]/g, (c) => CP1252_C1[c.charCodeAt(0) - 0x80] ?? c);
  t = t.replace(LIGATURE_CHARS, (c) => LIGATURES.get(c) ?? c);
  t = fixCharacterWidth(t);
  t = t.replace(/[\u02bc\u2018-\u201b]/g, "'").replace(/[\u201c-\u201f]/g, '"');
  t = t.replace(CONTROL_CHARS, '');
  return t.normalize('NFC');
}

/**
 * `\s` as the Python `regex` module reads it in CLIP (the Unicode White_Space property); JS's
 * own `\s` differs (it includes U+FEFF).
 */
const WHITESPACE_RUN = /\p{White_Space}+/gu;
const EDGE_WHITESPACE = /^\p{White_Space}+|\p{White_Space}+$/gu;

/** basic_clean + whitespace_clean + lower, in CLIP's order. */
export function cleanPrompt(text: string): string {
  let t = ftfyLite(text);
  t = htmlUnescape(htmlUnescape(t)).replace(EDGE_WHITESPACE, '');
  t = t.replace(WHITESPACE_RUN, ' ').replace(EDGE_WHITESPACE, '');
  return t.toLowerCase();
}
