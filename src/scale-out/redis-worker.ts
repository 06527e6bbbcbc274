/**
 * A worker node: claims tasks from Redis in fair order into its own pool, keeps their leases
 * alive with a heartbeat, stops them when a cancel arrives, and re-queues tasks of workers
 * that died (their leases lapse). Running and settling a claimed task is the shared
 * TaskLifecycle's; a completion counts only if the task is still on this claim, so a task
 * re-claimed after a stall is never completed twice.
 */
import type { Logger } from '../infra/logging.js';
import { TaskLifecycle, type LifecycleDeps } from '../queue/task-lifecycle.js';
import type { RedisTaskStore } from '../store/redis-store.js';
import type { ResultMeta, TaskRecord } from '../tasks/types.js';
import type { TaskPool } from '../workers/task-pool.js';
import type { Capabilities } from './capabilities.js';
import { channels, workersKey, type RedisClient } from '../infra/redis/connection.js';

export interface WorkerNodeOptions {
  servName: string;
  leaseMs: number;
  maxAttempts: number;
  /** Facts published in the heartbeat (device). */
  describe: Record<string, unknown>;
  /** What this host can run now (read per heartbeat and claim round; see capabilities.ts). */
  capabilities: () => Capabilities;
  /** Publishes results for serve nodes (S3 upload; no-op for a shared folder) and removes cancelled ones. */
  results?: LifecycleDeps['results'];
  /** Cross-request batching: images one batch may hold (1 = off; the Lua claim fills batches atomically). */
  maxBatch?: number;
}

export class RedisWorkerNode {
  private readonly tasks: TaskLifecycle;
  private readonly ch: ReturnType<typeof channels>;
  private timers: NodeJS.Timeout[] = [];
  private filling = false;
  private stopped = false;
  private caps: { at: number; value: Capabilities } | null = null;

  constructor(
    private readonly store: RedisTaskStore,
    private readonly redis: RedisClient,
    private readonly sub: RedisClient,
    private readonly pool: TaskPool,
    private readonly opts: WorkerNodeOptions,
    private readonly log: Logger,
  ) {
    this.ch = channels(store.prefix);
    this.tasks = new TaskLifecycle({
      runner: pool, store, results: opts.results, log, maxAttempts: opts.maxAttempts,
      hooks: {
        complete: (rec, result, at) => this.completeAndClaim(rec, result, at),
        record: retryWhileUnreachable,
        settled: () => this.fill(),
      },
    });
  }

  async start(): Promise<void> {
    await this.sub.subscribe(this.ch.wake, this.ch.cancel);
    this.sub.on('message', (channel: string, message: string) => {
      if (channel === this.ch.wake) this.fill();
      else if (channel === this.ch.cancel) void this.cancelLocal(message);
    });
    // Claims are also polled: a wake published while this node was reconnecting is not lost.
    this.timers.push(setInterval(() => this.fill(), 1000));
    this.timers.push(setInterval(() => void this.heartbeat(), Math.max(200, this.opts.leaseMs / 3)));
    this.timers.push(setInterval(() => void this.reap(), Math.max(200, this.opts.leaseMs / 2)));
    await this.heartbeat();
    this.fill();
  }

  /** Stop claiming and give running tasks up to `ms` to finish; leases are still renewed meanwhile. */
  async drain(ms: number): Promise<void> {
    this.stopped = true;
    if (!(await this.tasks.drain(ms))) this.log.warn({ running: this.tasks.size, drain_ms: ms }, 'drain time is up; re-queueing what still runs');
  }

  /** After the pool has closed: wait until every interrupted task is re-queued, then leave the fleet. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.tasks.whenIdle();
    for (const t of this.timers) clearInterval(t);
    await this.redis.hdel(workersKey(this.store.prefix), this.opts.servName).catch(() => undefined);
  }

  /** Capabilities at most a second old: they read the models folder. */
  private capabilities(): Capabilities {
    const now = Date.now();
    if (!this.caps || now - this.caps.at > 1000) this.caps = { at: now, value: this.opts.capabilities() };
    return this.caps.value;
  }

  private fill(): void {
    if (this.filling || this.stopped) return;
    this.filling = true;
    void (async () => {
      try {
        // Only tasks this host has the models for: the others wait for a worker that has them.
        const types = this.capabilities().task_types;
        while (!this.stopped && this.pool.idle > 0 && types.length > 0) {
          const batches = await this.store.claimBatches(this.opts.servName, new Date().toISOString(), types, this.pool.idle, this.opts.maxBatch ?? 1);
          for (const batch of batches) this.tasks.launchBatch(batch);
          if (batches.length === 0) break;
        }
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'claim failed (RedisClient unreachable?)');
      } finally {
        this.filling = false;
      }
    })();
  }

  /** The freed slot takes its next task in the same round trip (unless this node is stopping). */
  private async completeAndClaim(rec: TaskRecord, result: ResultMeta, at: string): Promise<boolean> {
    const types = this.stopped ? [] : this.capabilities().task_types;
    const { completed, batches } = await this.store.completeAndClaim(rec.ticket_id, result, at, rec.attempts, this.opts.servName, types, this.pool.idle, undefined, this.opts.maxBatch ?? 1);
    for (const batch of batches) this.tasks.launchBatch(batch);
    return completed;
  }

  private async cancelLocal(ticketId: string): Promise<void> {
    if (!(await this.tasks.stop(ticketId))) return;
    await this.redis.publish(this.ch.cancelled, ticketId).catch(() => undefined);
  }

  private async heartbeat(): Promise<void> {
    try {
      await this.store.renewLeases(this.tasks.ids());
      const beat = { name: this.opts.servName, ...this.opts.describe, ...this.capabilities(), slots: this.pool.size, busy: this.tasks.size, at: Date.now() };
      await this.redis.hset(workersKey(this.store.prefix), this.opts.servName, JSON.stringify(beat));
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'heartbeat failed (RedisClient unreachable?)');
    }
  }

  /** Any live worker re-queues the tasks of dead ones. */
  private async reap(): Promise<void> {
    try {
      const report = await this.store.recoverExpired(this.opts.maxAttempts, new Date().toISOString());
      if (report.requeued.length || report.failed.length) {
        this.log.warn(report, 're-queued tasks of a worker that stopped renewing its leases');
      }
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'reap failed');
    }
  }
}

/** Live workers from their heartbeats (seen within `maxAgeMs`). */
export async function liveWorkers(redis: RedisClient, prefix: string, maxAgeMs: number): Promise<Record<string, unknown>[]> {
  const all = await redis.hgetall(workersKey(prefix));
  const now = Date.now();
  return Object.values(all)
    .map((v) => JSON.parse(v) as Record<string, unknown> & { at: number })
    .filter((w) => now - w.at <= maxAgeMs);
}

/**
 * Recording an outcome must survive a short Redis outage: retry with backoff for about 30 s;
 * past that the lease lapses and another worker re-runs the task.
 */
async function retryWhileUnreachable(work: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (attempt >= 12) throw err;
      await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt, 4000)));
    }
  }
}
