/**
 * Idempotency-Key records: (user_id, key) → the submit response first given for it. Kept in
 * SQLite (its own table and handle, beside the task store's file) so a retry after a restart
 * still finds its ticket. Rows older than the window are ignored and swept.
 */
import Database from 'better-sqlite3';
import { openSqlite } from '../infra/open-sqlite.js';

export interface IdempotentResponse {
  fingerprint: string;
  status: number;
  body: Record<string, unknown>;
  createdAt: number;
}

/**
 * The seam: SQLite for one node, Redis when several serve nodes share the work (a retry may
 * reach another node). `claim` reserves (user, key) while the first request is being handled,
 * so two concurrent repeats create one task; false means another request holds it.
 */
export interface IdempotencyBackend {
  get(userId: string, key: string): Promise<IdempotentResponse | null>;
  put(userId: string, key: string, value: Omit<IdempotentResponse, 'createdAt'>): Promise<void>;
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

export class IdempotencyStore implements IdempotencyBackend {
  /** In-process reservations: one node is the only writer of its SQLite file. */
  private readonly claimed = new Set<string>();

  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement<[string, string, number], Row>;
  private readonly putStmt: Database.Statement<[string, string, string, number, string, number]>;
  private readonly sweepStmt: Database.Statement<[number]>;
  private puts = 0;

  constructor(file: string, private readonly ttlMs: number, private readonly now: () => number = Date.now) {
    this.db = openSqlite(file);
    this.db.exec(`CREATE TABLE IF NOT EXISTS idempotency_keys (
      user_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,
      status INTEGER NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL,
      PRIMARY KEY (user_id, key))`);
    this.getStmt = this.db.prepare('SELECT fingerprint, status, body, created_at FROM idempotency_keys WHERE user_id = ? AND key = ? AND created_at > ?');
    this.putStmt = this.db.prepare('INSERT OR REPLACE INTO idempotency_keys (user_id, key, fingerprint, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.sweepStmt = this.db.prepare('DELETE FROM idempotency_keys WHERE created_at <= ?');
  }

  async get(userId: string, key: string): Promise<IdempotentResponse | null> {
    const row = this.getStmt.get(userId, key, this.now() - this.ttlMs);
    if (!row) return null;
    return { fingerprint: row.fingerprint, status: row.status, body: JSON.parse(row.body) as Record<string, unknown>, createdAt: row.created_at };
  }

  async put(userId: string, key: string, value: Omit<IdempotentResponse, 'createdAt'>): Promise<void> {
    const t = this.now();
    this.putStmt.run(userId, key, value.fingerprint, value.status, JSON.stringify(value.body), t);
    if (++this.puts % 500 === 0) this.sweepStmt.run(t - this.ttlMs);
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
