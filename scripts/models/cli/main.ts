/**
 * The `models` CLI as a function (argv + io -> exit code), so tests run it in-process. Verbs that
 * need onnxruntime or the converters load them on demand: `list` stays fast.
 */
import { resolve } from 'node:path';
import { CliError, createContext, processIo, type CliIo } from './context.js';

export const USAGE = 'usage: npm run models -- list | download ID [--accept-license] | convert ID [--fp32|--fp16] | verify | make-test --out DIR [ID...]';

async function dispatch(argv: string[], io: CliIo): Promise<void> {
  const flags = new Set(argv.filter((a) => a.startsWith('--')));
  const args = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--out');
  const [verb, id] = args;
  const known = new Set(['--accept-license', '--fp32', '--fp16', '--out']);
  for (const f of flags) if (!known.has(f)) throw new CliError(`unknown option ${f}; ${USAGE}`);
  switch (verb) {
    case 'list':
      return (await import('./list.js')).listModels(createContext(io));
    case 'download':
      return (await import('./download-verb.js')).downloadModel(createContext(io), id, flags.has('--accept-license'));
    case 'convert':
      if (flags.has('--fp32') && flags.has('--fp16')) throw new CliError('choose one of --fp32 and --fp16');
      return (await import('./convert-verb.js')).convertModel(createContext(io), id, flags.has('--fp32') ? 'fp32' : flags.has('--fp16') ? 'fp16' : null);
    case 'verify':
      return (await import('./verify-verb.js')).verifyModels(createContext(io));
    case 'make-test': {
      const at = argv.indexOf('--out');
      const out = at >= 0 ? argv[at + 1] : undefined;
      if (!out) throw new CliError('make-test needs --out DIR');
      const { DEFAULT_TEST_MODELS, makeTestModels } = await import('../make-test.js');
      const ids = args.slice(1).length ? args.slice(1) : [...DEFAULT_TEST_MODELS];
      await makeTestModels(resolve(out), ids);
      io.out(`test models written to ${resolve(out)}: ${ids.join(', ')}`);
      return;
    }
    default:
      throw new CliError(verb ? `unknown verb "${verb}"; ${USAGE}` : USAGE);
  }
}

/** Runs one command; errors become a single `models: …` line on stderr and exit code 1. */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  try {
    await dispatch(argv, io);
    return 0;
  } catch (err) {
    io.err(`models: ${(err as Error).message.split('\n')[0]}`);
    return 1;
  }
}
