/**
 * Argument parsing for one `models` verb against what the verb declares: its positional
 * arguments and its options. Anything else is a usage error (exit 2) that names the help to read,
 * so a typo like `--fp61` is never silently ignored.
 */

/** Bad command line: the runner prints it and exits 2. */
export class UsageError extends Error {}

export interface OptionSpec {
  /** `--name`, with the value's placeholder when it takes one (`--mirror URL`). */
  name: string;
  value?: string;
  help: string;
}

export interface ArgSpec {
  verb: string;
  /** Placeholders of the positional arguments, `ID…` style for a repeatable last one. */
  positionals: readonly string[];
  /** How many positionals are required. */
  required: number;
  /** The last positional may repeat. */
  variadic?: boolean;
  options: readonly OptionSpec[];
}

export interface ParsedArgs {
  positionals: string[];
  /** Option name (with dashes) -> its value, or `true` for a flag. */
  options: Map<string, string | true>;
  help: boolean;
}

const HELP_FLAGS = new Set(['--help', '-h']);

function needValue(spec: ArgSpec, name: string): never {
  throw new UsageError(`option ${name} needs a value (${name} ${spec.options.find((o) => o.name === name)?.value}); see \`backserv models ${spec.verb} --help\``);
}

export function parseArgs(spec: ArgSpec, argv: readonly string[]): ParsedArgs {
  const parsed: ParsedArgs = { positionals: [], options: new Map(), help: argv.some((a) => HELP_FLAGS.has(a)) };
  // Help wins over every other problem on the line: it is what a confused operator types next.
  if (parsed.help) return parsed;
  let rest = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (rest || !arg.startsWith('-') || arg === '-') {
      parsed.positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      rest = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const opt = spec.options.find((o) => o.name === name);
    if (!opt) throw new UsageError(`unknown option ${name} for \`models ${spec.verb}\`; see \`backserv models ${spec.verb} --help\``);
    if (!opt.value) {
      if (eq > 0) throw new UsageError(`option ${name} takes no value`);
      parsed.options.set(name, true);
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('-'))) needValue(spec, name);
    parsed.options.set(name, value);
  }
  const n = parsed.positionals.length;
  if (n < spec.required) {
    throw new UsageError(`\`models ${spec.verb}\` needs ${spec.positionals[n]}; see \`backserv models ${spec.verb} --help\``);
  }
  if (!spec.variadic && n > spec.positionals.length) {
    throw new UsageError(`unexpected argument "${parsed.positionals[spec.positionals.length]}" for \`models ${spec.verb}\`; see \`backserv models ${spec.verb} --help\``);
  }
  return parsed;
}
