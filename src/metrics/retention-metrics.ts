/**
 * Retention figures in /metrics, read from the sweeper's last sweep: what the results take now
 * (bytes, files) and what retention has deleted since this process started.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { RetentionStats } from '../retention/sweeper.js';

export function registerRetentionMetrics(registry: Registry, stats: () => RetentionStats): void {
  const gauge = (name: string, help: string, read: (s: RetentionStats) => number | null) => new Gauge({
    name, help, registers: [registry],
    collect() {
      const v = read(stats());
      if (v !== null) this.set(v);
    },
  });
  gauge('backserv_results_bytes', 'Bytes of result files kept (as of the last retention sweep)', (s) => s.resultsBytes);
  gauge('backserv_results_files', 'Result files kept (as of the last retention sweep)', (s) => s.resultsFiles);

  // Totals kept by the sweeper; each scrape reports them as they are.
  const counter = (name: string, help: string, labels: string[], read: (s: RetentionStats) => [Record<string, string>, number][]) => new Counter({
    name, help, labelNames: labels, registers: [registry],
    collect() {
      this.reset();
      for (const [l, v] of read(stats())) this.inc(l, v);
    },
  });
  counter('backserv_results_deleted_total', 'Result files deleted by retention, by reason (result_ttl, size_cap)', ['reason'],
    (s) => [[{ reason: 'result_ttl' }, s.resultsExpired], [{ reason: 'size_cap' }, s.resultsEvicted]]);
  counter('backserv_results_deleted_bytes_total', 'Bytes of result files deleted by retention, by reason', ['reason'],
    (s) => [[{ reason: 'result_ttl' }, s.resultsExpiredBytes], [{ reason: 'size_cap' }, s.resultsEvictedBytes]]);
  counter('backserv_tasks_deleted_total', 'Finished tasks deleted by retention (BACKSERV_TASK_TTL_S), with their files', [],
    (s) => [[{}, s.tasksExpired]]);
  counter('backserv_retention_sweeps_total', 'Retention sweeps, by outcome', ['outcome'],
    (s) => [[{ outcome: 'ok' }, s.sweeps], [{ outcome: 'failed' }, s.failedSweeps]]);
}
