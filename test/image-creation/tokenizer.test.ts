import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipTokenizer, cleanPrompt, writeTokenizerFolder } from '../../src/pipelines/image-creation/tokenizer/index.js';

const FIXTURES = new URL('../fixtures/clip', import.meta.url).pathname;
const GZ = join(FIXTURES, 'bpe_simple_vocab_16e6.txt.gz');

interface ReferenceCase {
  text: string;
  ids: number[];
  decoded: string;
}
const reference = JSON.parse(readFileSync(join(FIXTURES, 'reference-tokens.json'), 'utf8')) as {
  bos: number;
  eos: number;
  vocab_size: number;
  cases: ReferenceCase[];
};

let gzTokenizer: ClipTokenizer;
let workDir: string;

beforeAll(() => {
  gzTokenizer = ClipTokenizer.fromClipBpeGz(GZ);
  workDir = mkdtempSync(join(tmpdir(), 'clip-tok-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('ClipTokenizer from the openai/CLIP gz file', () => {
  it('has the CLIP vocabulary and special ids', () => {
    expect(gzTokenizer.vocabSize).toBe(reference.vocab_size);
    expect(gzTokenizer.bosId).toBe(reference.bos);
    expect(gzTokenizer.eosId).toBe(reference.eos);
    expect(gzTokenizer.padId).toBe(49407);
  });

  it.each(reference.cases.map((c) => [c.text.slice(0, 40), c] as const))('reproduces %j', (_label, c) => {
    expect(gzTokenizer.encode(c.text)).toEqual(c.ids);
    expect(gzTokenizer.decode(c.ids.slice(1, -1))).toBe(c.decoded);
  });

  it('reproduces the MODELS.md test vectors', () => {
    expect(gzTokenizer.encode('a photo of a cat')).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
    expect(gzTokenizer.encode('Hello, world!')).toEqual([49406, 3306, 267, 1002, 256, 49407]);
    expect(gzTokenizer.encode('dog')).toEqual([49406, 1929, 49407]);
    expect(gzTokenizer.encode('!')).toEqual([49406, 256, 49407]);
  });

  it('cleans text the way CLIP does before splitting', () => {
    expect(cleanPrompt('  Tom &amp;amp; Jerry\t\n &lt;3 ')).toBe('tom & jerry <3');
    expect(cleanPrompt('&#8220;Caf\u0065\u0301&#x201D; &eacute &bogus;')).toBe('"café" é &bogus;');
    expect(cleanPrompt('don\u2019t \ufb01sh ＡＢＣ')).toBe("don't fish abc");
    // Python html.unescape: full HTML5 names, legacy names also as a prefix without ';'
    expect(cleanPrompt('a &notin; b &notit; &#128; &#0;')).toBe('a \u2209 b \u00acit; \u20ac \ufffd');
    // curly, HTML-escaped and plain apostrophes all tokenize alike
    const plain = gzTokenizer.encode("don't");
    expect(gzTokenizer.encode('don\u2019t')).toEqual(plain);
    expect(gzTokenizer.encode('don&#39;t')).toEqual(plain);
    expect(gzTokenizer.encode('DON\u2019T')).toEqual(plain);
  });

  it('maps literal special tokens in the text to their ids, as CLIP does', () => {
    expect(gzTokenizer.encode('a <|endoftext|> b')).toEqual([49406, 320, 49407, 321, 49407]);
  });
});

describe('padding and truncation', () => {
  const long = reference.cases.find((c) => c.ids.length > 77);

  it('pads short prompts with the pad id to 77', () => {
    const ids = gzTokenizer.encodePadded('a photo of a cat');
    expect(ids).toBeInstanceOf(Int32Array);
    expect(ids.length).toBe(77);
    expect(Array.from(ids.slice(0, 7))).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
    expect(Array.from(ids.slice(7)).every((id) => id === 49407)).toBe(true);
  });

  it('pads with 0 when asked (SD 2.x / Turbo convention)', () => {
    const ids = gzTokenizer.encodePadded('a photo of a cat', { padId: 0 });
    expect(Array.from(ids.slice(0, 7))).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
    expect(Array.from(ids.slice(7)).every((id) => id === 0)).toBe(true);
  });

  it('truncates to BOS + 75 tokens + EOS', () => {
    expect(long).toBeDefined();
    const ids = gzTokenizer.encodePadded(long!.text);
    expect(Array.from(ids)).toEqual([...long!.ids.slice(0, 76), 49407]);
  });

  it('keeps EOS last at exactly 77 and at a custom length', () => {
    const exact = gzTokenizer.encodePadded(Array.from({ length: 75 }, () => 'very').join(' '));
    expect(exact[0]).toBe(49406);
    expect(Array.from(exact.slice(1, 76)).every((id) => id === 1070)).toBe(true);
    expect(exact[76]).toBe(49407);
    expect(Array.from(gzTokenizer.encodePadded('a photo of a cat', { maxLength: 4 }))).toEqual([49406, 320, 1125, 49407]);
    expect(() => gzTokenizer.encodePadded('x', { maxLength: 1 })).toThrow(RangeError);
  });

  it('encodes the empty prompt as BOS, EOS, padding', () => {
    const ids = gzTokenizer.encodePadded('', { padId: 0 });
    expect(ids[0]).toBe(49406);
    expect(ids[1]).toBe(49407);
    expect(Array.from(ids.slice(2)).every((id) => id === 0)).toBe(true);
  });
});

describe('Hugging Face tokenizer folder', () => {
  it.each([
    ['<|endoftext|>', 49407],
    ['!', 0],
  ])('round-trips through writeTokenizerFolder with pad %j', (padToken, padId) => {
    const dir = join(workDir, padId === 0 ? 'sd2' : 'sd15');
    writeTokenizerFolder(GZ, dir, padToken);
    const vocab = JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')) as Record<string, number>;
    expect(Object.keys(vocab).length).toBe(49408);
    expect(vocab['!']).toBe(0);
    expect(vocab['!</w>']).toBe(256);
    expect(vocab['<|endoftext|>']).toBe(49407);
    const merges = readFileSync(join(dir, 'merges.txt'), 'utf8').split('\n');
    expect(merges[0]).toBe('#version: 0.2');
    expect(merges[1]).toBe('i n');

    const folder = ClipTokenizer.fromFiles(join(dir, 'vocab.json'), join(dir, 'merges.txt'), join(dir, 'tokenizer_config.json'));
    expect(folder.padId).toBe(padId);
    for (const c of reference.cases) expect(folder.encode(c.text)).toEqual(gzTokenizer.encode(c.text));
    const padded = folder.encodePadded('an astronaut riding a horse on mars');
    expect(Array.from(padded.slice(0, 9))).toEqual(reference.cases[2].ids);
    expect(Array.from(padded.slice(9)).every((id) => id === padId)).toBe(true);
  });

  it('reads pad_token written as {content} and defaults to EOS without a config', () => {
    const dir = join(workDir, 'sd2');
    writeTokenizerFolder(GZ, dir, '!');
    const config = join(workDir, 'special_tokens_map.json');
    writeFileSync(config, JSON.stringify({ pad_token: { content: '!', lstrip: false } }));
    expect(ClipTokenizer.fromFiles(join(dir, 'vocab.json'), join(dir, 'merges.txt'), config).padId).toBe(0);
    expect(ClipTokenizer.fromFiles(join(dir, 'vocab.json'), join(dir, 'merges.txt')).padId).toBe(49407);
  });

  it('rejects a pad token outside the vocabulary', () => {
    expect(() => writeTokenizerFolder(GZ, join(workDir, 'bad'), '<pad>')).toThrow(/not in the vocabulary/);
  });
});
