/**
 * Task metrics fed by the task events (no polling of the store): counts by type and final
 * status, queue depth and running tasks per type, wait and run time, worker busy time, and the
 * model load time pipelines report in `result.timings.model_load_ms` (near 0 on a session-cache
 * hit, so the histogram shows both cold loads and warm reuse).
 */
import type { QueuedTask } from '../store/task-store.js';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { TaskEvents } from '../queue/task-events.js';
import { FINAL_STATUSES, TASK_TYPES, type TaskRecord, type TaskStatus, type TaskType } from '../tasks/types.js';

const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

export class TaskMetrics {
  private readonly queued = new Map<string, TaskType>();
  private readonly running = new Map<string, { type: TaskType; since: number }>();
  /** Final events already counted (a cancel path can report the same end twice). */
  private readonly counted = new Set<string>();
  private busyDoneS = 0;
  private busyReportedS = 0;
  private readonly finals: Counter<'task_type' | 'status'>;
  private readonly submitted: Counter<'task_type'>;
  private readonly wait: Histogram<'task_type'>;
  private readonly run: Histogram<'task_type' | 'status'>;
  private readonly modelLoad: Histogram<'task_type'>;
  private readonly onStatus = (id: string, status: TaskStatus, rec: TaskRecord | null) => this.observe(id, status, rec);

  constructor(registry: Registry, private readonly events: TaskEvents, private readonly workers: number) {
    const self = this;
    this.submitted = new Counter({ name: 'backserv_tasks_submitted_total', help: 'Tasks accepted, by type', labelNames: ['task_type'], registers: [registry] });
    this.finals = new Counter({ name: 'backserv_tasks_total', help: 'Tasks that reached a final status, by type and status', labelNames: ['task_type', 'status'], registers: [registry] });
    new Gauge({
      name: 'backserv_queue_depth', help: 'Tasks waiting in the queue, by type', labelNames: ['task_type'], registers: [registry],
      collect() {
        for (const t of TASK_TYPES) this.set({ task_type: t }, 0);
        for (const t of self.queued.values()) this.inc({ task_type: t });
      },
    });
    new Gauge({
      name: 'backserv_tasks_running', help: 'Tasks running on this node, by type', labelNames: ['task_type'], registers: [registry],
      collect() {
        for (const t of TASK_TYPES) this.set({ task_type: t }, 0);
        for (const r of self.running.values()) this.inc({ task_type: r.type });
      },
    });
    this.wait = new Histogram({ name: 'backserv_task_wait_seconds', help: 'Time from acceptance to start', labelNames: ['task_type'], buckets: DURATION_BUCKETS, registers: [registry] });
    this.run = new Histogram({ name: 'backserv_task_run_seconds', help: 'Time from start to final status', labelNames: ['task_type', 'status'], buckets: DURATION_BUCKETS, registers: [registry] });
    this.modelLoad = new Histogram({
      name: 'backserv_model_load_seconds', help: 'Model session load time reported by completed tasks (near 0 when cached)',
      labelNames: ['task_type'], buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [registry],
    });
    new Gauge({ name: 'backserv_workers', help: 'Worker threads on this node', registers: [registry], collect() { this.set(self.workers); } });
    new Gauge({
      name: 'backserv_worker_busy_ratio', help: 'Share of workers running a task right now', registers: [registry],
      collect() { this.set(self.workers > 0 ? Math.min(1, self.running.size / self.workers) : 0); },
    });
    new Counter({
      name: 'backserv_worker_busy_seconds_total', help: 'Worker-seconds spent running tasks; rate() / backserv_workers = busy ratio over time', registers: [registry],
      collect() {
        const now = Date.now();
        let total = self.busyDoneS;
        for (const r of self.running.values()) total += (now - r.since) / 1000;
        if (total > self.busyReportedS) {
          this.inc(total - self.busyReportedS);
          self.busyReportedS = total;
        }
      },
    });
  }

  /** Seed the queue gauge with tasks queued before this process subscribed (restart). */
  start(alreadyQueued: readonly QueuedTask[]): void {
    for (const r of alreadyQueued) this.queued.set(r.ticket_id, r.task_type);
    this.events.on('status', this.onStatus);
  }

  close(): void {
    this.events.off('status', this.onStatus);
  }

  private observe(id: string, status: TaskStatus, rec: TaskRecord | null): void {
    if (status === 'Queueing') {
      const requeued = this.running.get(id);
      if (requeued) {
        // A lost worker sent the task back: its busy time ends here, and it is not a new submit.
        this.busyDoneS += (Date.now() - requeued.since) / 1000;
        this.running.delete(id);
      } else if (rec && !this.queued.has(id)) {
        this.submitted.inc({ task_type: rec.task_type });
      }
      const type = rec?.task_type ?? requeued?.type;
      if (type) this.queued.set(id, type);
      return;
    }
    const type = rec?.task_type ?? this.queued.get(id) ?? this.running.get(id)?.type;
    this.queued.delete(id);
    if (status === 'In Progress') {
      if (!type) return;
      this.running.set(id, { type, since: Date.now() });
      if (rec?.started_at) this.wait.observe({ task_type: type }, seconds(rec.created_at, rec.started_at));
      return;
    }
    if (!FINAL_STATUSES.has(status) || this.counted.has(id)) return;
    const run = this.running.get(id);
    if (run) {
      this.busyDoneS += (Date.now() - run.since) / 1000;
      this.running.delete(id);
    }
    if (!type) return;
    this.counted.add(id);
    if (this.counted.size > 50_000) this.counted.delete(this.counted.values().next().value as string);
    this.finals.inc({ task_type: type, status });
    if (rec?.started_at && rec.completed_at) this.run.observe({ task_type: type, status }, seconds(rec.started_at, rec.completed_at));
    const load = rec?.result?.timings?.model_load_ms;
    if (status === 'Completed' && typeof load === 'number') this.modelLoad.observe({ task_type: type }, load / 1000);
  }
}

function seconds(from: string, to: string): number {
  return Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
}
