#!/usr/bin/env node
// `npx backserv <command>`: thin launcher over the compiled entry points in dist/.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const HELP = `Usage: backserv <command>

Commands:
  start     the embedded server: HTTP API + worker pool + SQLite (same as npm start)
  serve     scale-out HTTP node over Redis (needs BACKSERV_REDIS_URL)
  worker    scale-out worker node over Redis: claims and runs tasks on this host
  models    list, download, convert and verify the models ("backserv models --help")
  openapi   print the OpenAPI 3.1 document (the one served at /openapi.json) to stdout
  version   print the version
  help      this text; "backserv help <command>" or "backserv <command> --help" for one command

Once running, the server also offers: / (playground), /docs (API docs), /openapi.json,
/events/:ticket_id (live progress), /metrics (Prometheus), /health, /ready.
Environment variables are listed in README.md.`;

const COMMAND_HELP = {
  start: 'backserv start\n  Runs the embedded server (API + worker pool + SQLite) on PORT [4093]. Stop with Ctrl-C / SIGTERM.',
  serve: 'backserv serve\n  Runs an HTTP node of the scale-out mode; needs BACKSERV_REDIS_URL.',
  worker: 'backserv worker\n  Runs a worker node of the scale-out mode; needs BACKSERV_REDIS_URL.',
  models: 'backserv models <verb> [options]\n  Installs and checks models (list, download, convert, verify); "backserv models --help" explains each.',
  openapi: 'backserv openapi\n  Prints the OpenAPI 3.1 document as JSON (BACKSERV_API_KEYS set: with the security requirements).',
  version: 'backserv version (or --version)\n  Prints the package version.',
  help: 'backserv help [command]\n  Lists the commands, or explains one.',
};

function fail(message, code = 2) {
  console.error(`backserv: ${message}`);
  process.exit(code);
}

function distEntry(rel) {
  const entry = join(root, 'dist', rel);
  if (!existsSync(entry)) fail('dist/ is missing; run `npm run build` (npm ci does it) first', 1);
  return entry;
}

/** `backserv models …`: the compiled models CLI parses its own verbs, options and --help. */
async function runModels(args) {
  const { runModelsCli } = await import(distEntry(join('cli', 'models.js')));
  // exitCode, not exit(): the verb's output drains and its handles close before the process ends.
  process.exitCode = await runModelsCli(args);
}

async function main(cmd, rest) {
  if (cmd === 'help' || cmd === '--help' || cmd === '-h') {
    const topic = rest[0] === '--help' || rest[0] === '-h' ? 'help' : rest[0];
    if (topic && !COMMAND_HELP[topic]) fail(`unknown command "${topic}"; see "backserv --help"`);
    if (topic === 'models') return runModels(['--help']);
    console.log(topic ? COMMAND_HELP[topic] : HELP);
    process.exit(0);
  }
  if (cmd === 'models') return runModels(rest);
  if (COMMAND_HELP[cmd] && (rest.includes('--help') || rest.includes('-h'))) {
    console.log(COMMAND_HELP[cmd]);
    process.exit(0);
  }
  if (cmd === 'version' || cmd === '--version' || cmd === '-v') {
    console.log(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
    process.exit(0);
  }
  if (cmd === 'openapi') {
    const { buildOpenApi } = await import(distEntry(join('api', 'openapi.js')));
    const { parseApiKeys } = await import(distEntry(join('config', 'api-settings.js')));
    const { compatOpenApi } = await import(distEntry(join('compat', 'openapi.js')));
    const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
    let authRequired;
    try {
      authRequired = parseApiKeys(process.env.BACKSERV_API_KEYS).size > 0;
    } catch (err) {
      fail(err.message);
    }
    process.stdout.write(JSON.stringify(buildOpenApi({ version, authRequired, extra: [compatOpenApi()] }), null, 2) + '\n');
    process.exit(0);
  }
  if (cmd === 'start' || cmd === 'serve' || cmd === 'worker') {
    // dist/main.js reads the role from process.argv[2], which is this command.
    return import(distEntry('main.js'));
  }
  fail(`unknown command "${cmd}"; see "backserv --help"`);
}

await main(process.argv[2] ?? 'help', process.argv.slice(3));
