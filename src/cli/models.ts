/**
 * `backserv models VERB …` (and its alias `npm run models -- VERB …`): list, download, convert and
 * verify the models the server runs. A function from argv and io to an exit status, so tests can
 * run it in-process as well as through bin/backserv.js. Exit status: 0 done, 1 the verb failed,
 * 2 bad usage; help goes to stdout with status 0.
 */
import { parseArgs, UsageError } from './models/args.js';
import { CliError, createContext, endQuietlyOnClosedPipe, processIo, type CliIo } from './models/context.js';
import { overviewHelp, verbHelp } from './models/help.js';
import { findVerb, VERBS } from './models/verbs.js';

const SEE_HELP = 'see `backserv models --help`';

async function dispatch(argv: readonly string[], io: CliIo): Promise<void> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') return io.out(overviewHelp(VERBS));
  if (first === 'help') {
    if (rest.length === 0) return io.out(overviewHelp(VERBS));
    const verb = findVerb(rest[0]);
    if (!verb) throw new UsageError(`unknown verb "${rest[0]}"; ${SEE_HELP}`);
    return io.out(verbHelp(verb));
  }
  if (first === 'make-test') {
    // Test tooling lives with the tests, not in the installed product.
    throw new UsageError('make-test is test tooling: run `npm run models -- make-test --out DIR` in a source checkout');
  }
  if (first.startsWith('-')) throw new UsageError(`unknown option ${first}; ${SEE_HELP}`);
  const verb = findVerb(first);
  if (!verb) throw new UsageError(`unknown verb "${first}"; ${SEE_HELP}`);
  const args = parseArgs(verb, rest);
  if (args.help) return io.out(verbHelp(verb));
  await verb.run(createContext(io), args);
}

/** Runs one command. A failure is a `models: …` line on stderr (plus any details), never a stack trace. */
export async function runModelsCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  if (io === processIo) endQuietlyOnClosedPipe();
  try {
    await dispatch(argv, io);
    return 0;
  } catch (err) {
    io.err(`models: ${(err as Error).message.split('\n')[0]}`);
    if (err instanceof CliError) for (const line of err.details) io.err(line);
    return err instanceof UsageError ? 2 : 1;
  }
}
