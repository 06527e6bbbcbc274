// `npm run models -- VERB …`: the npm alias of `backserv models VERB …` in a source checkout.
// `make-test` (test tooling that writes the signature-exact test models) runs from test/support
// through tsx; every other verb, help included, runs the compiled CLI in dist/ like
// `npx backserv models`, so both spellings behave the same.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

if (args[0] === 'make-test') {
  const entry = join(root, 'test', 'support', 'make-test-cli.ts');
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), entry, ...args.slice(1)], { stdio: 'inherit', cwd: process.cwd() });
  process.exit(r.status ?? 1);
}
// bin/backserv.js reads its command from argv[2].
process.argv.splice(2, 0, 'models');
await import(join(root, 'bin', 'backserv.js'));
