/**
 * `npm run models -- make-test --out DIR [ID…]`: writes the signature-exact test models (see
 * make-test.ts) for operators and the bench. Test tooling, so it runs from the checkout through tsx
 * (scripts/npm-models.mjs routes it here) and is not part of the compiled `backserv models`.
 * Exit status: 0 written, 1 failed, 2 bad usage.
 */
import { resolve } from 'node:path';
import { DEFAULT_TEST_MODELS, makeTestModels, TEST_MODEL_IDS } from './make-test.js';

const HELP = `Usage: npm run models -- make-test --out DIR [ID...]

Writes small deterministic ONNX models with the real models' signatures (and, for Stable
Diffusion, the tokenizer and scheduler files) into DIR/<id>/, each with a .test-model marker,
so the server and the pipelines run offline in seconds. Not real weights: outputs are noise.

Arguments:
  ID          which models [${DEFAULT_TEST_MODELS.join(' ')}]
              known: ${TEST_MODEL_IDS.join(', ')}

Options:
  --out DIR   the folder to write into (e.g. a BACKSERV_MODELS_DIR for a test server)
  -h, --help  this help

Examples:
  npm run models -- make-test --out /tmp/test-models
  npm run models -- make-test --out /tmp/test-models sd15 realesrgan-x4fast`;

class UsageError extends Error {}

function parse(argv: readonly string[]): { out: string; ids: string[] } | 'help' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  let out: string | undefined;
  const ids: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out' || a.startsWith('--out=')) {
      out = a === '--out' ? argv[++i] : a.slice('--out='.length);
      if (!out || out.startsWith('-')) throw new UsageError('--out needs a folder (--out DIR)');
    } else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}; see \`npm run models -- make-test --help\``);
    else if (!TEST_MODEL_IDS.includes(a)) throw new UsageError(`no test model for "${a}" (known: ${TEST_MODEL_IDS.join(', ')})`);
    else ids.push(a);
  }
  if (!out) throw new UsageError('make-test needs --out DIR; see `npm run models -- make-test --help`');
  return { out: resolve(out), ids: ids.length ? ids : [...DEFAULT_TEST_MODELS] };
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    const args = parse(argv);
    if (args === 'help') {
      process.stdout.write(HELP + '\n');
      return 0;
    }
    await makeTestModels(args.out, args.ids);
    process.stdout.write(`test models written to ${args.out}: ${args.ids.join(', ')}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`models: ${(err as Error).message.split('\n')[0]}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
