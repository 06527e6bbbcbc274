/**
 * Webhook registrations and their delivery state in SQLite, in their own table beside the API's
 * other state. A delivery that was pending when the process stopped is retried on the next
 * start, which is what makes delivery at-least-once.
 */
import Database from 'better-sqlite3';
import { openSqlite } from '../infra/open-sqlite.js';
import type { WebhookBackend, WebhookRow } from './webhook-backend.js';

const COLUMNS = 'ticket_id, url, base_url, state, attempts, next_at, last_error';

export class WebhookStore implements WebhookBackend {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = openSqlite(file);
    this.db.exec(`CREATE TABLE IF NOT EXISTS webhooks (
      ticket_id TEXT PRIMARY KEY, url TEXT NOT NULL, base_url TEXT NOT NULL,
      state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL DEFAULT 0,
      last_error TEXT, created_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS webhooks_state ON webhooks(state, next_at);`);
    // Files written before leases existed lack the column.
    const cols = this.db.prepare('PRAGMA table_info(webhooks)').all() as { name: string }[];
    if (!cols.some((c) => c.name === 'lease_until')) this.db.exec('ALTER TABLE webhooks ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0');
  }

  async register(ticketId: string, url: string, baseUrl: string): Promise<void> {
    this.db.prepare('INSERT OR IGNORE INTO webhooks (ticket_id, url, base_url, state, created_at) VALUES (?, ?, ?, \'waiting\', ?)')
      .run(ticketId, url, baseUrl, Date.now());
  }

  async get(ticketId: string): Promise<WebhookRow | null> {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM webhooks WHERE ticket_id = ?`).get(ticketId) as WebhookRow | undefined) ?? null;
  }

  async arm(ticketId: string, at: number): Promise<boolean> {
    return this.db.prepare('UPDATE webhooks SET state = \'pending\', next_at = ? WHERE ticket_id = ? AND state = \'waiting\'').run(at, ticketId).changes === 1;
  }

  async claim(ticketId: string, now: number, leaseMs: number): Promise<WebhookRow | null> {
    const taken = this.db.prepare('UPDATE webhooks SET lease_until = ? WHERE ticket_id = ? AND state = \'pending\' AND next_at <= ? AND lease_until <= ?')
      .run(now + leaseMs, ticketId, now, now).changes === 1;
    return taken ? this.get(ticketId) : null;
  }

  async retryLater(ticketId: string, attempts: number, nextAt: number, error: string): Promise<void> {
    this.db.prepare('UPDATE webhooks SET attempts = ?, next_at = ?, last_error = ?, lease_until = 0 WHERE ticket_id = ? AND state = \'pending\'').run(attempts, nextAt, error, ticketId);
  }

  async finish(ticketId: string, state: 'delivered' | 'failed', attempts: number, error: string | null): Promise<void> {
    this.db.prepare('UPDATE webhooks SET state = ?, attempts = ?, last_error = ?, lease_until = 0 WHERE ticket_id = ?').run(state, attempts, error, ticketId);
  }

  async due(now: number, limit: number): Promise<string[]> {
    const rows = this.db.prepare('SELECT ticket_id FROM webhooks WHERE state = \'pending\' AND next_at <= ? ORDER BY next_at LIMIT ?').all(now, limit) as { ticket_id: string }[];
    return rows.map((r) => r.ticket_id);
  }

  async waiting(limit: number): Promise<string[]> {
    const rows = this.db.prepare('SELECT ticket_id FROM webhooks WHERE state = \'waiting\' ORDER BY created_at LIMIT ?').all(limit) as { ticket_id: string }[];
    return rows.map((r) => r.ticket_id);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
