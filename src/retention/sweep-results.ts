/**
 * One pass over the stored results: deletes those older than the result TTL, then, while the
 * rest is over the size cap, the oldest first; and measures what is kept (for /metrics). Files
 * written in the last EVICTION_GRACE_MS are never evicted by the cap, so a client told a moment
 * ago that its task completed can still fetch the result (the folder may exceed the cap by what
 * was written in that time). Removals of a file already gone succeed, so passes may overlap.
 */
import type { Logger } from '../infra/logging.js';
import type { ResultStore, StoredResult } from '../results/result-store.js';

export const EVICTION_GRACE_MS = 60_000;

export interface ResultLimits {
  /** 0 = results never expire. */
  ttlMs: number;
  /** 0 = no cap. */
  maxBytes: number;
  graceMs?: number;
}

export interface ResultSweep {
  keptBytes: number;
  keptFiles: number;
  expired: number;
  expiredBytes: number;
  evicted: number;
  evictedBytes: number;
}

export async function sweepResults(results: Pick<ResultStore, 'list' | 'remove'>, limits: ResultLimits, now: number, log: Logger): Promise<ResultSweep> {
  const out: ResultSweep = { keptBytes: 0, keptFiles: 0, expired: 0, expiredBytes: 0, evicted: 0, evictedBytes: 0 };
  // Only a cap needs the kept files in memory (to find the oldest); a TTL or a measure streams.
  const kept: StoredResult[] = [];
  for await (const r of results.list()) {
    if (limits.ttlMs > 0 && now - r.modifiedMs > limits.ttlMs && await removed(results, r, log)) {
      out.expired++;
      out.expiredBytes += r.bytes;
      continue;
    }
    out.keptBytes += r.bytes;
    out.keptFiles++;
    if (limits.maxBytes > 0) kept.push(r);
  }
  if (limits.maxBytes > 0 && out.keptBytes > limits.maxBytes) {
    const youngest = now - (limits.graceMs ?? EVICTION_GRACE_MS);
    kept.sort((a, b) => a.modifiedMs - b.modifiedMs || a.name.localeCompare(b.name));
    for (const r of kept) {
      if (out.keptBytes <= limits.maxBytes || r.modifiedMs > youngest) break;
      if (!(await removed(results, r, log))) continue;
      out.evicted++;
      out.evictedBytes += r.bytes;
      out.keptBytes -= r.bytes;
      out.keptFiles--;
    }
  }
  return out;
}

async function removed(results: Pick<ResultStore, 'remove'>, r: StoredResult, log: Logger): Promise<boolean> {
  try {
    await results.remove(r.name);
    return true;
  } catch (err) {
    log.warn({ file: r.name, err: (err as Error).message }, 'retention: could not delete a result file');
    return false;
  }
}
