#!/usr/bin/env node
// `npx backserv <command>`: thin launcher over the compiled entry points in dist/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const HELP = `Usage: backserv <command>

Commands:
  start     the embedded server: HTTP API + worker pool + SQLite (same as npm start)
  serve     scale-out HTTP node over Redis (needs BACKSERV_REDIS_URL)
  worker    scale-out worker node over Redis: claims and runs tasks on this host
  help      this text

Environment variables are listed in README.md.`;

const cmd = process.argv[2] ?? 'help';
if (cmd === 'help' || cmd === '--help' || cmd === '-h') {
  console.log(HELP);
  process.exit(0);
}
if (cmd === 'start' || cmd === 'serve' || cmd === 'worker') {
  const entry = join(root, 'dist', 'main.js');
  if (!existsSync(entry)) {
    console.error('backserv: dist/ is missing; run `npm run build` (npm ci does it) first');
    process.exit(1);
  }
  // dist/main.js reads the role from process.argv[2], which is this command.
  await import(entry);
} else {
  console.error(`backserv: unknown command "${cmd}"; see "backserv --help"`);
  process.exit(2);
}
