/**
 * Retention (BACKSERV_RESULT_TTL_S, BACKSERV_TASK_TTL_S, BACKSERV_RESULTS_MAX_BYTES,
 * BACKSERV_RETENTION_SWEEP_MS). Every limit defaults to 0 = off, which keeps everything, as
 * before these settings existed; the sweeper still runs to report what is kept in /metrics.
 */
import { envInt, type Env } from './env-int.js';

export interface RetentionConfig {
  /** Result files older than this (seconds) are deleted; their task records stay. 0 = never. */
  resultTtlS: number;
  /** Finished tasks older than this (seconds) are deleted with their files and inputs. 0 = never. */
  taskTtlS: number;
  /** Above this many bytes of results, the oldest files are deleted first. 0 = no cap. */
  resultsMaxBytes: number;
  /** Time between two sweeps (ms); 0 = no sweeper (and no result-size metrics). */
  sweepMs: number;
}

const YEAR_S = 366 * 24 * 3600;

export function loadRetentionConfig(env: Env): RetentionConfig {
  const sweepMs = envInt(env, 'BACKSERV_RETENTION_SWEEP_MS', 60_000, 0, 24 * 3600 * 1000);
  // A sweep lists every result: more often than 10 times a second is a mistake, not a setting.
  if (sweepMs > 0 && sweepMs < 100) throw new TypeError(`BACKSERV_RETENTION_SWEEP_MS must be 0 (off) or at least 100 (got "${sweepMs}")`);
  return {
    resultTtlS: envInt(env, 'BACKSERV_RESULT_TTL_S', 0, 0, 100 * YEAR_S),
    taskTtlS: envInt(env, 'BACKSERV_TASK_TTL_S', 0, 0, 100 * YEAR_S),
    resultsMaxBytes: envInt(env, 'BACKSERV_RESULTS_MAX_BYTES', 0, 0, Number.MAX_SAFE_INTEGER),
    sweepMs,
  };
}
