export { ClipTokenizer } from './clip-tokenizer.js';
export type { PaddingOptions } from './clip-tokenizer.js';
export { cleanPrompt } from './text-clean.js';
export {
  BOS_TOKEN,
  EOS_TOKEN,
  TokenizerFileError,
  readClipBpeGz,
  readHfBpe,
  readPadToken,
  writeTokenizerFolder,
} from './vocab-files.js';
export type { BpeData, Merge } from './vocab-files.js';
