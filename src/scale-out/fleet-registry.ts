/**
 * A serve node's view of which task types can run: the union of what live workers publish in
 * their heartbeats (a serve node need not hold any model). Refreshed from Redis in the background
 * and answered from the last snapshot, since submits must not wait on it.
 *
 * Workers seen within `windowMs` count, a much longer window than /ready's liveness: a rolling
 * restart of every worker must not turn submits into 503s (accepted tasks wait in the queue).
 * Until any worker has been seen, the node's own models folder decides, as in embedded mode.
 */
import type { Logger } from '../infra/logging.js';
import type { ModelRegistry, ResolvedModel, TaskTypeAvailability } from '../models/types.js';
import type { TaskType } from '../tasks/types.js';
import type { Capabilities } from './capabilities.js';
import { liveWorkers } from './redis-worker.js';
import type { RedisClient } from '../infra/redis/connection.js';

export class FleetRegistry implements ModelRegistry {
  private fleet: Capabilities[] | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly local: ModelRegistry,
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly windowMs: number,
    private readonly log: Logger,
    refreshMs = 1000,
  ) {
    this.timer = setInterval(() => void this.refresh(), refreshMs);
    this.timer.unref();
  }

  async refresh(): Promise<void> {
    try {
      const workers = (await liveWorkers(this.redis, this.prefix, this.windowMs)) as Partial<Capabilities>[];
      // Heartbeats from builds before capabilities carry no models: they ran every implemented type.
      const known = workers.filter((w) => Array.isArray(w.task_types) && w.models !== undefined) as Capabilities[];
      // No worker seen in the window: keep the last view rather than refuse everything.
      this.fleet = known.length > 0 ? known : this.fleet;
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'fleet refresh failed; keeping the last view');
    }
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Worker slots in the fleet (from the heartbeats; 1 until a worker has been seen). */
  slots(): number {
    const total = (this.fleet ?? []).reduce((n, w) => n + (Number((w as { slots?: unknown }).slots) || 0), 0);
    return Math.max(1, total);
  }

  private fleetModels(type: TaskType): string[] | null {
    if (!this.fleet) return null;
    const ids = new Set<string>();
    for (const w of this.fleet) if (w.task_types.includes(type)) for (const id of w.models[type] ?? []) ids.add(id);
    return [...ids];
  }

  availability(): Record<TaskType, TaskTypeAvailability> {
    const local = this.local.availability();
    if (!this.fleet) return local;
    const out = {} as Record<TaskType, TaskTypeAvailability>;
    for (const [type, a] of Object.entries(local) as [TaskType, TaskTypeAvailability][]) {
      const ids = new Set(this.fleetModels(type));
      const runnable = this.fleet.some((w) => w.task_types.includes(type));
      out[type] = {
        available: runnable,
        models: a.models.map((m) => ({ id: m.id, installed: ids.has(m.id) })),
        installCommand: runnable ? '' : `${a.installCommand} (on a worker host)`,
      };
    }
    return out;
  }

  /** The serve node only checks ids; the folder is the worker's business. */
  resolve(taskType: TaskType, requested?: string): ResolvedModel | null {
    const ids = this.fleetModels(taskType);
    if (ids === null) return this.local.resolve(taskType, requested);
    const id = requested && ids.includes(requested) ? requested : ids[0];
    return id ? { id, dir: '' } : null;
  }

  /** This node's own folder: per-role folders only matter where the task runs. */
  resolveAll(taskType: TaskType): Record<string, ResolvedModel> | null {
    return this.local.resolveAll(taskType);
  }

  resolveRole(taskType: TaskType, role: string, requested?: string): ResolvedModel | null {
    return this.local.resolveRole(taskType, role, requested);
  }
}
