/**
 * `npm run models -- VERB`: list | download ID [--accept-license] | convert ID [--fp32|--fp16] | verify |
 * make-test --out DIR [ID…]. See scripts/models/cli/main.ts.
 */
import { runCli } from './models/cli/main.js';

process.exitCode = await runCli(process.argv.slice(2));
