/**
 * Redis TaskStore for scale-out. Task records are hashes; every transition is one Lua script
 * (src/store/redis/scripts/*.lua, the header of each says its KEYS, ARGV and answer) that also
 * maintains the status counters and the fair-queue index, so a serve node that dies right after
 * answering 202 has already made the task claimable.
 * Passes the same conformance suite as the SQLite store.
 */
import { idempotencyRedisKey } from './idempotency-record.js';
import type { Progress, ResultMeta, TaskFailure, TaskRecord, TaskStatus } from '../tasks/types.js';
import { STATUSES } from '../tasks/types.js';
import { loadScripts, scriptDir } from '../infra/redis/script-loader.js';
import { INTERRUPTED_CODE, type FinishedTask, type Interruption, type NewTask, type QueuedTask, type RecoveryReport, type TaskStore } from './task-store.js';
import type { RedisClient } from '../infra/redis/connection.js';

const S = loadScripts(scriptDir(import.meta.url, 'redis/scripts'), {
  CREATE: 'create', MARK_STARTED: 'mark-started', CLAIM_TYPED: 'claim-typed', SET_PROGRESS: 'set-progress',
  COMPLETE: 'complete', COMPLETE_AND_CLAIM: 'complete-and-claim', FAIL: 'fail', CANCEL: 'cancel',
  RECOVER: 'recover', RENEW: 'renew', POSITION: 'position', INTERRUPT: 'interrupt',
  FINISHED_BEFORE: 'finished-before', DELETE_FINISHED: 'delete-finished',
});

const INTERRUPTED_MESSAGE =
  'Interrupted: the worker running this task stopped responding, %d time(s); it was not retried again. ' +
  'Submit it again; if it keeps happening, check the worker logs for a crash.';

const CRASHED_MESSAGE =
  'The worker process running this task crashed, %d time(s); it was not retried again. ' +
  'Submit it again; if it keeps happening, the operator should check the worker log.';

export type CreateOutcome = { ok: true; record: TaskRecord } | { ok: false; scope: 'global' | 'user'; depth: number };

function pairs(flat: unknown): Record<string, string> {
  const a = flat as string[];
  const o: Record<string, string> = {};
  for (let i = 0; i < a.length; i += 2) o[a[i]] = a[i + 1];
  return o;
}

function toRecord(h: Record<string, string>): TaskRecord {
  return {
    ticket_id: h.ticket_id,
    seq: Number(h.seq),
    task_type: h.task_type as TaskRecord['task_type'],
    user_id: h.user_id,
    params: JSON.parse(h.params) as Record<string, unknown>,
    status: h.status as TaskStatus,
    serv_name: h.serv_name,
    created_at: h.created_at,
    started_at: h.started_at ?? null,
    completed_at: h.completed_at ?? null,
    error_info: h.error_info ?? null,
    error_code: h.error_code ?? null,
    result: h.result ? (JSON.parse(h.result) as ResultMeta) : null,
    progress: h.progress ? (JSON.parse(h.progress) as Progress) : null,
    attempts: Number(h.attempts ?? 0),
  };
}

export class RedisTaskStore implements TaskStore {
  constructor(
    readonly redis: RedisClient,
    readonly prefix: string,
    /** How long a claim stays valid without a renewal (worker heartbeat). */
    private readonly leaseMs = 30_000,
    private readonly ownsConnection = false,
  ) {}

  private deadline(): number {
    return Date.now() + this.leaseMs;
  }

  /** Durable insert plus queue caps, atomically. */
  async createQueued(task: NewTask, maxQueued: number, maxPerUser: number): Promise<CreateOutcome> {
    const idem = task.idempotency;
    const r = (await S.CREATE.run(this.redis, [this.prefix, task.ticket_id, task.user_id, task.task_type,
      JSON.stringify(task.params), task.serv_name, task.created_at, maxQueued, maxPerUser,
      idem ? idempotencyRedisKey(this.prefix, task.user_id, idem.key, 'rec') : '',
      idem ? JSON.stringify({ fingerprint: idem.fingerprint, status: 202, createdAt: Date.now() }) : '',
      idem ? idem.ttlMs : 0, task.batch_key ?? '', task.batch_images ?? 1])) as unknown[];
    if (r[0] === 'ok') return { ok: true, record: toRecord(pairs(r[1])) };
    if (r[0] === 'full') return { ok: false, scope: r[1] as 'global' | 'user', depth: Number(r[2]) };
    throw new Error(`ticket ${task.ticket_id} already exists`);
  }

  async create(task: NewTask): Promise<TaskRecord> {
    const out = await this.createQueued(task, 0, 0);
    if (!out.ok) throw new Error('unreachable: no caps given');
    return out.record;
  }

  async get(ticketId: string): Promise<TaskRecord | null> {
    const h = await this.redis.hgetall(`${this.prefix}t:${ticketId}`);
    return h.ticket_id ? toRecord(h) : null;
  }

  async markStarted(ticketId: string, servName: string, at: string): Promise<TaskRecord | null> {
    const r = await S.MARK_STARTED.run(this.redis, [this.prefix, ticketId, servName, at, this.deadline()]);
    return r ? toRecord(pairs(r)) : null;
  }

  /**
   * Up to `count` tasks of `taskTypes` (a worker may lack some models) in fair order, each In
   * Progress on `servName`, looking at most `scan` entries deep into each user's lane.
   */
  async claimMany(servName: string, at: string, taskTypes: readonly string[], count: number, scan = 64): Promise<TaskRecord[]> {
    return (await this.claimBatches(servName, at, taskTypes, count, 1, scan)).flat();
  }

  /**
   * claimMany with cross-request batching: up to `count` slots' work, each one task or a batch of
   * tasks with the same batch key (`maxBatch` images at most), all taken atomically in fair order.
   */
  async claimBatches(servName: string, at: string, taskTypes: readonly string[], count: number, maxBatch: number, scan = 64): Promise<TaskRecord[][]> {
    if (taskTypes.length === 0 || count < 1) return [];
    const r = (await S.CLAIM_TYPED.run(this.redis, [this.prefix, servName, at, this.deadline(), scan, count, maxBatch, ...taskTypes])) as string[][][];
    return r.map((batch) => batch.map((rec) => toRecord(pairs(rec))));
  }

  async setProgress(ticketId: string, progress: Progress): Promise<void> {
    await S.SET_PROGRESS.run(this.redis, [this.prefix, ticketId, JSON.stringify(progress)]);
  }

  /**
   * complete() and then claimMany() for the slots that frees, in one round trip. `completed` is
   * complete()'s answer; the claim happens either way.
   */
  async completeAndClaim(ticketId: string, result: ResultMeta, at: string, attempt: number,
    servName: string, taskTypes: readonly string[], count: number, scan = 64, maxBatch = 1): Promise<{ completed: boolean; next: TaskRecord[]; batches: TaskRecord[][] }> {
    if (taskTypes.length === 0 || count < 1) return { completed: await this.complete(ticketId, result, at, attempt), next: [], batches: [] };
    const [done, ...groups] = (await S.COMPLETE_AND_CLAIM.run(this.redis, [
      this.prefix, ticketId, JSON.stringify(result), at, attempt, servName, this.deadline(), scan, count, maxBatch, ...taskTypes,
    ])) as [number, ...string[][][]];
    const batches = groups.map((batch) => batch.map((rec) => toRecord(pairs(rec))));
    return { completed: done === 1, next: batches.flat(), batches };
  }

  /** `attempt` > 0: only if the task is still on that claim (a re-claimed task cannot be completed twice). */
  async complete(ticketId: string, result: ResultMeta, at: string, attempt = 0): Promise<boolean> {
    return (await S.COMPLETE.run(this.redis, [this.prefix, ticketId, JSON.stringify(result), at, attempt])) === 1;
  }

  async fail(ticketId: string, failure: TaskFailure, at: string, attempt = 0): Promise<boolean> {
    return (await S.FAIL.run(this.redis, [this.prefix, ticketId, failure.message, failure.code, at, attempt])) === 1;
  }

  async cancel(ticketId: string, at: string): Promise<TaskStatus | null> {
    const r = await S.CANCEL.run(this.redis, [this.prefix, ticketId, at]);
    return r ? (r as TaskStatus) : null;
  }

  async listQueued(): Promise<QueuedTask[]> {
    const ids = await this.redis.zrange(`${this.prefix}queued`, '0', '-1');
    // A few small fields per task, never the params (which can be large).
    const rows = await Promise.all(ids.map((id) => this.redis.hmget(`${this.prefix}t:${id}`, 'user_id', 'task_type', 'seq', 'created_at', 'batch_key', 'batch_images')));
    const out: QueuedTask[] = [];
    ids.forEach((ticket_id, i) => {
      const [user_id, task_type, seq, created_at, batch_key, batch_images] = rows[i]!;
      if (user_id && task_type && seq && created_at) {
        out.push({ ticket_id, user_id, task_type: task_type as QueuedTask['task_type'], seq: Number(seq), created_at, batch_key: batch_key || null, batch_images: Number(batch_images ?? 1) });
      }
    });
    return out;
  }

  async interrupt(ticketId: string, how: Interruption): Promise<'requeued' | 'failed' | null> {
    const r = await S.INTERRUPT.run(this.redis, [this.prefix, ticketId, how.attempt, how.maxAttempts,
      how.countsAsAttempt ? '1' : '0', how.at, CRASHED_MESSAGE, INTERRUPTED_CODE]);
    return r === 'requeued' || r === 'failed' ? r : null;
  }

  /** Embedded semantics (every running task was interrupted): used on a single-node restart. */
  async recoverInterrupted(maxAttempts: number, at: string): Promise<RecoveryReport> {
    return this.recover(maxAttempts, at, '+inf');
  }

  /** Scale-out: only tasks whose worker stopped renewing the lease. */
  async recoverExpired(maxAttempts: number, at: string, now = Date.now()): Promise<RecoveryReport> {
    return this.recover(maxAttempts, at, String(now));
  }

  private async recover(maxAttempts: number, at: string, before: string): Promise<RecoveryReport> {
    const r = (await S.RECOVER.run(this.redis, [this.prefix, maxAttempts, at, before, INTERRUPTED_MESSAGE, INTERRUPTED_CODE])) as string[];
    const bar = r.indexOf('|');
    return { requeued: r.slice(0, bar), failed: r.slice(bar + 1) };
  }

  async renewLeases(ticketIds: string[]): Promise<void> {
    if (ticketIds.length) await S.RENEW.run(this.redis, [this.prefix, this.deadline(), ...ticketIds]);
  }

  async queuePosition(ticketId: string): Promise<number | null> {
    const r = await S.POSITION.run(this.redis, [this.prefix, ticketId]);
    return typeof r === 'number' ? r : null;
  }

  async countByStatus(): Promise<Record<TaskStatus, number>> {
    const h = await this.redis.hgetall(`${this.prefix}counts`);
    return Object.fromEntries(STATUSES.map((s) => [s, Number(h[s] ?? 0)])) as Record<TaskStatus, number>;
  }

  async finishedBefore(before: string, limit: number): Promise<FinishedTask[]> {
    const r = (await S.FINISHED_BEFORE.run(this.redis, [this.prefix, before, limit])) as string[];
    const out: FinishedTask[] = [];
    for (let i = 0; i + 3 < r.length; i += 4) {
      out.push({ ticket_id: r[i], status: r[i + 1] as FinishedTask['status'], completed_at: r[i + 2], result_file: r[i + 3] || null });
    }
    return out;
  }

  async deleteFinished(ticketIds: readonly string[], before: string): Promise<string[]> {
    if (ticketIds.length === 0) return [];
    return (await S.DELETE_FINISHED.run(this.redis, [this.prefix, before, ...ticketIds])) as string[];
  }

  async close(): Promise<void> {
    if (this.ownsConnection) await this.redis.quit().catch(() => undefined);
  }
}
