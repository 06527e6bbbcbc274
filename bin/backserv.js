#!/usr/bin/env node
// `npx backserv <command>`: thin launcher over the compiled entry points in dist/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const HELP = `Usage: backserv <command>

Commands:
  start     the embedded server: HTTP API + worker pool + SQLite (same as npm start)
  serve     scale-out HTTP node (needs BACKSERV_REDIS_URL)   [not in this build yet]
  worker    scale-out worker node (needs BACKSERV_REDIS_URL) [not in this build yet]
  help      this text

Environment variables are listed in README.md.`;

const cmd = process.argv[2] ?? 'help';
if (cmd === 'help' || cmd === '--help' || cmd === '-h') {
  console.log(HELP);
  process.exit(0);
}
if (cmd === 'start') {
  const entry = join(root, 'dist', 'main.js');
  if (!existsSync(entry)) {
    console.error('backserv: dist/ is missing; run `npm run build` (npm ci does it) first');
    process.exit(1);
  }
  await import(entry);
} else if (cmd === 'serve' || cmd === 'worker') {
  console.error(`backserv: "${cmd}" (scale-out over Redis) is not implemented in this build; use "start"`);
  process.exit(2);
} else {
  console.error(`backserv: unknown command "${cmd}"; see "backserv --help"`);
  process.exit(2);
}
