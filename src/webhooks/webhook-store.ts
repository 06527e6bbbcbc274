/**
 * Durable webhook registrations and their delivery state, in their own table beside the task
 * store's file. A delivery that was pending when the process stopped is retried on the next
 * start, which is what makes delivery at-least-once.
 */
import Database from 'better-sqlite3';
import { openSqlite } from '../store/open-sqlite.js';

/** waiting: task not final yet; pending: to be (re)tried at next_at; delivered / failed: done. */
export type WebhookState = 'waiting' | 'pending' | 'delivered' | 'failed';

export interface WebhookRow {
  ticket_id: string;
  url: string;
  base_url: string;
  state: WebhookState;
  attempts: number;
  next_at: number;
  last_error: string | null;
}

export class WebhookStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = openSqlite(file);
    this.db.exec(`CREATE TABLE IF NOT EXISTS webhooks (
      ticket_id TEXT PRIMARY KEY, url TEXT NOT NULL, base_url TEXT NOT NULL,
      state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL DEFAULT 0,
      last_error TEXT, created_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS webhooks_state ON webhooks(state, next_at);`);
  }

  register(ticketId: string, url: string, baseUrl: string): void {
    this.db.prepare('INSERT OR IGNORE INTO webhooks (ticket_id, url, base_url, state, created_at) VALUES (?, ?, ?, \'waiting\', ?)')
      .run(ticketId, url, baseUrl, Date.now());
  }

  get(ticketId: string): WebhookRow | null {
    return (this.db.prepare('SELECT ticket_id, url, base_url, state, attempts, next_at, last_error FROM webhooks WHERE ticket_id = ?')
      .get(ticketId) as WebhookRow | undefined) ?? null;
  }

  /** waiting → pending; false if it was not waiting (a second final event changes nothing). */
  arm(ticketId: string, at: number): boolean {
    return this.db.prepare('UPDATE webhooks SET state = \'pending\', next_at = ? WHERE ticket_id = ? AND state = \'waiting\'').run(at, ticketId).changes === 1;
  }

  retryLater(ticketId: string, attempts: number, nextAt: number, error: string): void {
    this.db.prepare('UPDATE webhooks SET attempts = ?, next_at = ?, last_error = ? WHERE ticket_id = ? AND state = \'pending\'').run(attempts, nextAt, error, ticketId);
  }

  finish(ticketId: string, state: 'delivered' | 'failed', attempts: number, error: string | null): void {
    this.db.prepare('UPDATE webhooks SET state = ?, attempts = ?, last_error = ? WHERE ticket_id = ?').run(state, attempts, error, ticketId);
  }

  inState(state: WebhookState): WebhookRow[] {
    return this.db.prepare('SELECT ticket_id, url, base_url, state, attempts, next_at, last_error FROM webhooks WHERE state = ?').all(state) as WebhookRow[];
  }

  close(): void {
    this.db.close();
  }
}
