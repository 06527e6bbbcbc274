/**
 * Per-user A1111 options (today: `sd_model_checkpoint`). A1111 switches one global checkpoint
 * for everybody; here each caller has its own default, so one user's settings page never
 * changes another user's images. Kept in SQLite next to the task store (embedded), or in Redis
 * (scale-out) so every serve node sees a change at once.
 */
import type Database from 'better-sqlite3';
import { openSqlite } from '../../infra/open-sqlite.js';
import type { RedisClient } from '../../infra/redis/connection.js';
import { guardRedis } from '../../infra/redis/guard.js';

export interface UserOptionsStore {
  checkpoint(user: string): Promise<string | null>;
  setCheckpoint(user: string, checkpoint: string): Promise<void>;
  close(): Promise<void>;
}

export class SqliteUserOptions implements UserOptionsStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = openSqlite(file);
    this.db.exec('CREATE TABLE IF NOT EXISTS a1111_options (user_id TEXT PRIMARY KEY, checkpoint TEXT NOT NULL, updated_at TEXT NOT NULL)');
  }

  async checkpoint(user: string): Promise<string | null> {
    const row = this.db.prepare('SELECT checkpoint FROM a1111_options WHERE user_id = ?').get(user) as { checkpoint: string } | undefined;
    return row?.checkpoint ?? null;
  }

  async setCheckpoint(user: string, checkpoint: string): Promise<void> {
    this.db.prepare('INSERT INTO a1111_options (user_id, checkpoint, updated_at) VALUES (?, ?, ?) '
      + 'ON CONFLICT(user_id) DO UPDATE SET checkpoint = excluded.checkpoint, updated_at = excluded.updated_at')
      .run(user, checkpoint, new Date().toISOString());
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

export class RedisUserOptions implements UserOptionsStore {
  private readonly key: string;

  constructor(private readonly redis: RedisClient, prefix: string) {
    this.key = `${prefix}compat:a1111-checkpoint`;
  }

  async checkpoint(user: string): Promise<string | null> {
    return guardRedis(this.redis.hget(this.key, user));
  }

  async setCheckpoint(user: string, checkpoint: string): Promise<void> {
    await guardRedis(this.redis.hset(this.key, user, checkpoint));
  }

  async close(): Promise<void> {
    // The connection belongs to the node.
  }
}
