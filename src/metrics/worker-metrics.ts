/**
 * Per-worker memory and recycling in /metrics, read from the pool at each scrape (worker host
 * mode: each worker is a process, so its RSS is its own). onnxruntime-node does not report the size
 * of its memory arenas, so the arena gauge is an estimate: the process's RSS now minus its RSS when
 * it became ready, before any model was loaded. A gauge labelled by pid loses the old pid's series
 * when a worker is replaced, so a changed pid shows a recycle (or a crash) at a glance.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { RecycleReason, WorkerStat, WorkerStats } from '../workers/task-pool.js';

export function registerWorkerMetrics(registry: Registry, stats: () => WorkerStats): void {
  const perWorker = (name: string, help: string, read: (w: WorkerStat) => number | null) => new Gauge({
    name, help, labelNames: ['worker', 'pid'], registers: [registry],
    collect() {
      this.reset();
      for (const w of stats().workers) {
        const v = read(w);
        if (v !== null && w.pid !== null) this.set({ worker: String(w.worker), pid: String(w.pid) }, v);
      }
    },
  });
  perWorker('backserv_worker_rss_bytes', 'Resident set size of each worker process (its thread, ONNX Runtime sessions and arenas, libvips)', (w) => w.rssBytes);
  perWorker('backserv_worker_arena_bytes',
    'Estimate of the native memory each worker holds for models: its RSS minus its RSS when it became ready, before loading a model (ONNX Runtime arenas and sessions, libvips caches, heap growth); onnxruntime-node does not report arena sizes itself',
    (w) => w.arenaBytes);
  perWorker('backserv_worker_tasks', 'Tasks the current process of each worker has finished (back to 0 when it is replaced)', (w) => w.tasks);
  new Counter({
    name: 'backserv_worker_recycles_total', help: 'Workers drained and replaced by a fresh process, by reason (max_tasks: BACKSERV_WORKER_MAX_TASKS, max_rss: BACKSERV_WORKER_MAX_RSS_MB)',
    labelNames: ['reason'], registers: [registry],
    collect() {
      this.reset();
      const r = stats().recycles;
      for (const reason of Object.keys(r) as RecycleReason[]) this.inc({ reason }, r[reason]);
    },
  });
}
