/** The help texts of `backserv models`: the overview, and one page per verb built from its declaration. */
import type { Verb } from './verbs.js';
import { wrap } from './wrap.js';

function usageLine(v: Verb): string {
  const pos = v.positionals.map((p, i) => (i < v.required ? p : `[${p}]`)).join(' ');
  const opts = v.options.map((o) => `[${o.name}${o.value ? ` ${o.value}` : ''}]`).join(' ');
  return ['backserv models', v.verb, pos, opts].filter(Boolean).join(' ');
}

function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `  ${a.padEnd(width)}  ${b}`);
}

export function overviewHelp(verbs: readonly Verb[]): string {
  const verbRows = verbs.map((v) => [[v.verb, ...v.positionals].join(' '), v.summary] as const);
  return [
    'backserv models: install, convert and check the models Back.Serv runs',
    '',
    'Usage: backserv models <verb> [options]',
    '       npm run models -- <verb> [options]     (the same, from a source checkout)',
    '',
    'Verbs:',
    ...table([...verbRows, ['help [VERB]', 'this text, or one verb\'s']]),
    '',
    'Options:',
    ...table([['-h, --help', 'help; after a verb, that verb\'s help']]),
    '',
    'Environment:',
    ...table([['BACKSERV_MODELS_DIR', 'the models folder the server reads [./models]']]),
    '',
    'Exit status: 0 done, 1 failed (the reason is on stderr), 2 bad usage.',
    '',
    'Examples:',
    '  backserv models list',
    '  backserv models convert realesrgan-x4plus',
    '  backserv models download sd-turbo --accept-license',
    '  backserv models verify',
    '',
    'In a source checkout, `npm run models -- make-test --out DIR` also writes small',
    'signature-exact test models (test tooling: test/support/make-test-cli.ts).',
  ].join('\n');
}

export function verbHelp(v: Verb): string {
  const options: [string, string][] = [
    ...v.options.map((o) => [`${o.name}${o.value ? ` ${o.value}` : ''}`, o.help] as [string, string]),
    ['-h, --help', 'this help'],
  ];
  return [
    `Usage: ${usageLine(v)}`,
    '',
    ...v.description.flatMap((p) => [...wrap(p), '']),
    'Options:',
    ...table(options),
    '',
    'Environment:',
    ...table([['BACKSERV_MODELS_DIR', 'the models folder [./models]']]),
    '',
    'Examples:',
    ...v.examples.map((e) => `  ${e}`),
  ].join('\n');
}
