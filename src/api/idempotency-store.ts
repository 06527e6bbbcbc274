/**
 * Idempotency-Key records for one node: read from the task store's own SQLite file, where the
 * task store writes each record in the transaction that creates its task (so a crash can never
 * leave a task without its key, or a key without its task). Rows older than the window are
 * ignored and swept.
 */
import Database from 'better-sqlite3';
import { openSqlite } from '../infra/open-sqlite.js';
import { IDEMPOTENCY_TABLE_SQL, type IdempotentResponse } from '../store/idempotency-record.js';

export type { IdempotentResponse } from '../store/idempotency-record.js';

/**
 * The seam: SQLite for one node, Redis when several serve nodes share the work (a retry may
 * reach another node). The record itself is written by the task store with the task; `claim`
 * reserves (user, key) while the first request is being handled, so two concurrent repeats
 * create one task; false means another request holds it.
 */
export interface IdempotencyBackend {
  /** How long a key keeps answering with its first task. */
  readonly ttlMs: number;
  get(userId: string, key: string): Promise<IdempotentResponse | null>;
  claim(userId: string, key: string): Promise<boolean>;
  release(userId: string, key: string): Promise<void>;
  close(): Promise<void>;
}

interface Row {
  fingerprint: string;
  status: number;
  body: string;
  created_at: number;
}

/** One sweep of expired keys per this many reads keeps the table bounded without a timer. */
const SWEEP_EVERY = 500;

export class IdempotencyStore implements IdempotencyBackend {
  /** In-process reservations: one node is the only writer of its SQLite file. */
  private readonly claimed = new Set<string>();

  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement<[string, string, number], Row>;
  private readonly sweepStmt: Database.Statement<[number]>;
  private reads = 0;

  /** `file`: the task store's database (backserv.sqlite). */
  constructor(file: string, readonly ttlMs: number, private readonly now: () => number = Date.now) {
    this.db = openSqlite(file);
    this.db.exec(IDEMPOTENCY_TABLE_SQL);
    this.getStmt = this.db.prepare('SELECT fingerprint, status, body, created_at FROM idempotency_keys WHERE user_id = ? AND key = ? AND created_at > ?');
    this.sweepStmt = this.db.prepare('DELETE FROM idempotency_keys WHERE created_at <= ?');
  }

  async get(userId: string, key: string): Promise<IdempotentResponse | null> {
    const t = this.now();
    if (++this.reads % SWEEP_EVERY === 0) this.sweepStmt.run(t - this.ttlMs);
    const row = this.getStmt.get(userId, key, t - this.ttlMs);
    if (!row) return null;
    return { fingerprint: row.fingerprint, status: row.status, body: JSON.parse(row.body) as Record<string, unknown>, createdAt: row.created_at };
  }

  async claim(userId: string, key: string): Promise<boolean> {
    const slot = `${userId}\n${key}`;
    if (this.claimed.has(slot)) return false;
    this.claimed.add(slot);
    return true;
  }

  async release(userId: string, key: string): Promise<void> {
    this.claimed.delete(`${userId}\n${key}`);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
