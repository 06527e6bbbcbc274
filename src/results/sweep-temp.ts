/**
 * Result files are written as `.<name>.<pid>.tmp` and renamed when complete. A crash (or a
 * worker terminated mid-encode) can leave such a file behind; it is never served, and on an
 * embedded start nothing else can be writing there, so it is removed.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../infra/logging.js';

export function sweepTempResults(resultsDir: string, log: Logger): void {
  const stale = readdirSync(resultsDir).filter((f) => f.startsWith('.') && f.endsWith('.tmp'));
  for (const f of stale) rmSync(join(resultsDir, f), { force: true });
  if (stale.length) log.info({ removed: stale.length }, 'removed unfinished result files left by a previous run');
}
