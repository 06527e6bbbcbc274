/**
 * The Hugging Face tokenizer folder (vocab.json + merges.txt + configs) for CLIP, built from the
 * original openai/CLIP BPE file in the fixtures. The vocabulary follows CLIP's own construction:
 * the 256 byte symbols in bytes_to_unicode order, the same with `</w>`, one entry per merge, then
 * the two specials (49406, 49407).
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { GeneratedFile } from '../make-test.js';

export const CLIP_BPE_PATH = new URL('../../fixtures/clip/bpe_simple_vocab_16e6.txt.gz', import.meta.url);

const MERGE_COUNT = 49152 - 256 - 2;

/** CLIP's byte -> printable character table, in its own order (printable bytes first). */
function byteSymbols(): string[] {
  const order: number[] = [];
  for (let b = 33; b <= 126; b++) order.push(b);
  for (let b = 161; b <= 172; b++) order.push(b);
  for (let b = 174; b <= 255; b++) order.push(b);
  const symbols = order.map((b) => String.fromCodePoint(b));
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!order.includes(b)) {
      symbols.push(String.fromCodePoint(256 + n));
      n += 1;
    }
  }
  return symbols;
}

export async function clipTokenizerFiles(padToken: '!' | '<|endoftext|>', bpePath: URL | string = CLIP_BPE_PATH): Promise<GeneratedFile[]> {
  const lines = gunzipSync(await readFile(bpePath)).toString('utf8').split('\n');
  const merges = lines.slice(1, MERGE_COUNT + 1);
  if (merges.length !== MERGE_COUNT) throw new Error(`CLIP BPE file has ${merges.length} merges, expected ${MERGE_COUNT}`);
  const symbols = byteSymbols();
  const tokens = [...symbols, ...symbols.map((s) => `${s}</w>`), ...merges.map((m) => m.split(' ').join('')), '<|startoftext|>', '<|endoftext|>'];
  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => {
    vocab[t] = i;
  });
  const special = {
    bos_token: '<|startoftext|>',
    eos_token: '<|endoftext|>',
    unk_token: '<|endoftext|>',
    pad_token: padToken,
  };
  const config = { ...special, add_prefix_space: false, do_lower_case: true, model_max_length: 77, tokenizer_class: 'CLIPTokenizer', errors: 'replace' };
  return [
    { path: 'tokenizer/vocab.json', data: JSON.stringify(vocab) },
    { path: 'tokenizer/merges.txt', data: ['#version: 0.2', ...merges].join('\n') + '\n' },
    { path: 'tokenizer/tokenizer_config.json', data: JSON.stringify(config, null, 2) + '\n' },
    { path: 'tokenizer/special_tokens_map.json', data: JSON.stringify(special, null, 2) + '\n' },
  ];
}
