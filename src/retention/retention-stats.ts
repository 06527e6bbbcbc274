/** What the sweeper reports: what is kept now and what it has deleted since the process started. */

export interface RetentionStats {
  /** Bytes and files of results as of the last sweep (null until the first sweep has listed them). */
  resultsBytes: number | null;
  resultsFiles: number | null;
  /** Result files deleted because they were older than BACKSERV_RESULT_TTL_S, and their bytes. */
  resultsExpired: number;
  resultsExpiredBytes: number;
  /** Result files evicted (oldest first) to bring the results under BACKSERV_RESULTS_MAX_BYTES. */
  resultsEvicted: number;
  resultsEvictedBytes: number;
  /** Finished tasks deleted because they were older than BACKSERV_TASK_TTL_S. */
  tasksExpired: number;
  sweeps: number;
  failedSweeps: number;
}

export function emptyStats(): RetentionStats {
  return {
    resultsBytes: null, resultsFiles: null, resultsExpired: 0, resultsExpiredBytes: 0, resultsEvicted: 0, resultsEvictedBytes: 0,
    tasksExpired: 0, sweeps: 0, failedSweeps: 0,
  };
}
