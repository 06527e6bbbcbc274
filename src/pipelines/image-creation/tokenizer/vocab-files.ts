/**
 * The two on-disk forms of CLIP's BPE: openai/CLIP's gzipped merges list (the vocabulary is
 * implied by it) and the Hugging Face folder Stable Diffusion models ship (`vocab.json`,
 * `merges.txt`, `tokenizer_config.json`). Both describe the same 49,408-token vocabulary.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { byteSymbolsInVocabOrder } from './bytes-to-unicode.js';

export const BOS_TOKEN = '<|startoftext|>';
export const EOS_TOKEN = '<|endoftext|>';
/** openai/CLIP uses exactly this many merges of its file (49152 − 256 − 2). */
const CLIP_MERGE_COUNT = 48894;

export type Merge = readonly [left: string, right: string];

export interface BpeData {
  /** token → id */
  readonly encoder: ReadonlyMap<string, number>;
  /** in rank order: index = rank */
  readonly merges: readonly Merge[];
}

export class TokenizerFileError extends Error {
  readonly code = 'TOKENIZER_FILE_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerFileError';
  }
}

function parseMergeLines(lines: readonly string[], source: string): Merge[] {
  return lines.map((line, i) => {
    const parts = line.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      throw new TokenizerFileError(`${source}: merge ${i + 1} is not two symbols: ${JSON.stringify(line)}`);
    }
    return [parts[0], parts[1]] as const;
  });
}

/** Vocabulary in id order, as openai/CLIP builds it from the merges. */
function clipVocabulary(merges: readonly Merge[]): string[] {
  const bytes = byteSymbolsInVocabOrder().map(([, symbol]) => symbol);
  return [...bytes, ...bytes.map((s) => `${s}</w>`), ...merges.map(([a, b]) => a + b), BOS_TOKEN, EOS_TOKEN];
}

/** openai/CLIP `bpe_simple_vocab_16e6.txt.gz`: a header line, then the merges. */
export function readClipBpeGz(path: string): BpeData {
  const lines = gunzipSync(readFileSync(path)).toString('utf8').split('\n');
  const mergeLines = lines.slice(1, 1 + CLIP_MERGE_COUNT);
  if (mergeLines.length !== CLIP_MERGE_COUNT) {
    throw new TokenizerFileError(`${path}: expected ${CLIP_MERGE_COUNT} merges, found ${mergeLines.length}`);
  }
  const merges = parseMergeLines(mergeLines, path);
  const encoder = new Map(clipVocabulary(merges).map((token, id) => [token, id]));
  return { encoder, merges };
}

/** Hugging Face `vocab.json` + `merges.txt` (the latter with its `#version` header). */
export function readHfBpe(vocabJsonPath: string, mergesTxtPath: string): BpeData {
  const raw: unknown = JSON.parse(readFileSync(vocabJsonPath, 'utf8'));
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new TokenizerFileError(`${vocabJsonPath}: not a JSON object of token → id`);
  }
  const encoder = new Map<string, number>();
  for (const [token, id] of Object.entries(raw)) {
    if (!Number.isInteger(id)) throw new TokenizerFileError(`${vocabJsonPath}: id of ${JSON.stringify(token)} is not an integer`);
    encoder.set(token, id as number);
  }
  const lines = readFileSync(mergesTxtPath, 'utf8').split('\n').map((l) => l.replace(/\r$/, ''));
  const body = lines.filter((line, i) => line !== '' && !(i === 0 && line.startsWith('#version')));
  const merges = parseMergeLines(body, mergesTxtPath);
  for (const [a, b] of merges) {
    if (!encoder.has(a + b)) throw new TokenizerFileError(`${mergesTxtPath}: merge result ${JSON.stringify(a + b)} is not in the vocabulary`);
  }
  return { encoder, merges };
}

/**
 * `pad_token` from a `tokenizer_config.json` or `special_tokens_map.json`; transformers writes
 * it either as a string or as `{content: string, …}`. Undefined when absent.
 */
export function readPadToken(configPath: string): string | undefined {
  const raw: unknown = JSON.parse(readFileSync(configPath, 'utf8'));
  if (raw === null || typeof raw !== 'object') throw new TokenizerFileError(`${configPath}: not a JSON object`);
  const pad = (raw as Record<string, unknown>).pad_token;
  if (pad === undefined || pad === null) return undefined;
  if (typeof pad === 'string') return pad;
  if (typeof pad === 'object' && typeof (pad as Record<string, unknown>).content === 'string') {
    return (pad as { content: string }).content;
  }
  throw new TokenizerFileError(`${configPath}: pad_token is neither a string nor {content}`);
}

/**
 * Writes the Hugging Face tokenizer folder (vocab.json, merges.txt, tokenizer_config.json) for
 * the CLIP BPE in `gzPath`, as SD model folders have it. `padToken` is "<|endoftext|>" for
 * SD 1.5 and "!" for SD 2.x / Turbo.
 */
export function writeTokenizerFolder(gzPath: string, outDir: string, padToken: string): void {
  const { encoder, merges } = readClipBpeGz(gzPath);
  if (!encoder.has(padToken)) throw new TokenizerFileError(`pad token ${JSON.stringify(padToken)} is not in the vocabulary`);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'vocab.json'), JSON.stringify(Object.fromEntries(encoder)));
  writeFileSync(join(outDir, 'merges.txt'), `#version: 0.2\n${merges.map(([a, b]) => `${a} ${b}`).join('\n')}\n`);
  const config = {
    add_prefix_space: false,
    bos_token: BOS_TOKEN,
    do_lower_case: true,
    eos_token: EOS_TOKEN,
    errors: 'replace',
    model_max_length: 77,
    pad_token: padToken,
    tokenizer_class: 'CLIPTokenizer',
    unk_token: EOS_TOKEN,
  };
  writeFileSync(join(outDir, 'tokenizer_config.json'), `${JSON.stringify(config, null, 2)}\n`);
}
