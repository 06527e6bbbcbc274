/**
 * CLIP's byte-level BPE tokenizer (openai/CLIP `simple_tokenizer.py`), as Stable Diffusion's
 * text encoder expects it: cleanup → regex pre-split → bytes as symbols → lowest-rank merges.
 */
import { byteDecoder, byteEncoder } from './bytes-to-unicode.js';
import { cleanPrompt } from './text-clean.js';
import {
  BOS_TOKEN,
  EOS_TOKEN,
  TokenizerFileError,
  readClipBpeGz,
  readHfBpe,
  readPadToken,
  type BpeData,
} from './vocab-files.js';

/**
 * CLIP's pre-split. `\s` is spelled as White_Space to match Python's `regex` module; the `i`
 * flag is kept because CLIP compiles it with IGNORECASE (it matters for e.g. "'ſ").
 */
const PRE_SPLIT =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\p{White_Space}\p{L}\p{N}]+/giu;

/** Words are few in prompts, but a server sees many prompts: keep the cache bounded. */
const CACHE_LIMIT = 20_000;

export interface PaddingOptions {
  /** Sequence length the text encoder takes; 77 for every SD CLIP. */
  maxLength?: number;
  /** Overrides the pad id read from the tokenizer config. */
  padId?: number;
}

export class ClipTokenizer {
  readonly bosId: number;
  readonly eosId: number;
  /** From `pad_token` in the config: 49407 for SD 1.5, 0 ("!") for SD 2.x / Turbo. */
  readonly padId: number;
  readonly vocabSize: number;

  private readonly encoder: ReadonlyMap<string, number>;
  private readonly decoder: string[];
  private readonly ranks: Map<string, number>;
  private readonly bytes = byteEncoder();
  private readonly byteValues = byteDecoder();
  private readonly utf8 = new TextEncoder();
  private readonly cache = new Map<string, readonly number[]>();

  constructor(data: BpeData, padToken: string = EOS_TOKEN) {
    this.encoder = data.encoder;
    this.ranks = new Map(data.merges.map(([a, b], rank) => [`${a} ${b}`, rank]));
    this.bosId = this.requireId(BOS_TOKEN);
    this.eosId = this.requireId(EOS_TOKEN);
    this.padId = this.requireId(padToken);
    this.vocabSize = data.encoder.size;
    this.decoder = [];
    for (const [token, id] of data.encoder) this.decoder[id] = token;
  }

  /** An SD model folder's `tokenizer/vocab.json` + `merges.txt` (+ `tokenizer_config.json`). */
  static fromFiles(vocabJsonPath: string, mergesTxtPath: string, configPath?: string): ClipTokenizer {
    const padToken = configPath === undefined ? undefined : readPadToken(configPath);
    return new ClipTokenizer(readHfBpe(vocabJsonPath, mergesTxtPath), padToken);
  }

  /** openai/CLIP's `bpe_simple_vocab_16e6.txt.gz`; pads with `<|endoftext|>` unless told. */
  static fromClipBpeGz(path: string, padToken?: string): ClipTokenizer {
    return new ClipTokenizer(readClipBpeGz(path), padToken);
  }

  /** Token ids with BOS and EOS, no padding or truncation (CLIP's `encode` plus the specials). */
  encode(text: string): number[] {
    const ids = [this.bosId];
    for (const match of cleanPrompt(text).matchAll(PRE_SPLIT)) {
      for (const id of this.wordIds(match[0])) ids.push(id);
    }
    ids.push(this.eosId);
    return ids;
  }

  /**
   * Exactly `maxLength` ids: truncated so that EOS stays last (BOS, 75 tokens, EOS for 77),
   * then padded with the model's pad id.
   */
  encodePadded(text: string, options: PaddingOptions = {}): Int32Array {
    const maxLength = options.maxLength ?? 77;
    const padId = options.padId ?? this.padId;
    if (!Number.isInteger(maxLength) || maxLength < 2) throw new RangeError(`maxLength must be an integer ≥ 2, got ${maxLength}`);
    const ids = this.encode(text);
    const out = new Int32Array(maxLength).fill(padId);
    const kept = Math.min(ids.length - 1, maxLength - 1);
    for (let i = 0; i < kept; i++) out[i] = ids[i];
    out[kept] = this.eosId;
    return out;
  }

  /** CLIP's `decode`: ids back to text, each `</w>` as a space. */
  decode(ids: Iterable<number>): string {
    const bytes: number[] = [];
    for (const id of ids) {
      const token = this.decoder[id];
      if (token === undefined) throw new RangeError(`token id ${id} is outside the vocabulary`);
      for (const symbol of token) {
        const byte = this.byteValues.get(symbol);
        if (byte === undefined) throw new RangeError(`token ${JSON.stringify(token)} has a non-byte symbol`);
        bytes.push(byte);
      }
    }
    return new TextDecoder('utf-8').decode(new Uint8Array(bytes)).replaceAll('</w>', ' ');
  }

  private requireId(token: string): number {
    const id = this.encoder.get(token);
    if (id === undefined) throw new TokenizerFileError(`token ${JSON.stringify(token)} is not in the vocabulary`);
    return id;
  }

  private wordIds(word: string): readonly number[] {
    const cached = this.cache.get(word);
    if (cached !== undefined) return cached;
    // CLIP maps its special tokens straight to their ids when they appear in the text.
    const ids = word === BOS_TOKEN || word === EOS_TOKEN ? [this.requireId(word)] : this.bpe(word).map((s) => this.requireId(s));
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, ids);
    return ids;
  }

  /** Symbols of one pre-split word after all merges; the last symbol carries `</w>`. */
  private bpe(word: string): string[] {
    let symbols = Array.from(this.utf8.encode(word), (b) => this.bytes[b]);
    symbols[symbols.length - 1] += '</w>';
    while (symbols.length > 1) {
      let best = Infinity;
      let left = '';
      let right = '';
      for (let i = 0; i < symbols.length - 1; i++) {
        const rank = this.ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (rank !== undefined && rank < best) {
          best = rank;
          left = symbols[i];
          right = symbols[i + 1];
        }
      }
      if (best === Infinity) break;
      const merged: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i < symbols.length - 1 && symbols[i] === left && symbols[i + 1] === right) {
          merged.push(left + right);
          i++;
        } else {
          merged.push(symbols[i]);
        }
      }
      symbols = merged;
    }
    return symbols;
  }
}
