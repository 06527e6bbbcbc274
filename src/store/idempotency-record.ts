/**
 * An Idempotency-Key's record, written by the task store in the same transaction (SQLite) or
 * script (Redis) that creates the task, so a 202 and its key can never be separated by a crash:
 * a retry after a kill -9 finds the key exactly when the task exists. The API layer reads the
 * records through the same table / keys (api/idempotency-store.ts, api/idempotency-redis.ts).
 */
import type { TaskRecord } from '../tasks/types.js';

/** What a submit carries when the client sent an Idempotency-Key. */
export interface IdempotencyClaim {
  key: string;
  /** Digest of the request body; a repeat with another body is refused. */
  fingerprint: string;
  /** How long the key keeps answering with this task. */
  ttlMs: number;
}

/** The stored answer: the submit's status and body, replayed verbatim. */
export interface IdempotentResponse {
  fingerprint: string;
  status: number;
  body: Record<string, unknown>;
  createdAt: number;
}

export const IDEMPOTENCY_TABLE_SQL = `CREATE TABLE IF NOT EXISTS idempotency_keys (
  user_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,
  status INTEGER NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, key))`;

/** The body of a 202 for this task (the submit route answers the same). */
export function acceptedBody(rec: Pick<TaskRecord, 'ticket_id' | 'serv_name' | 'status'>): Record<string, unknown> {
  return { ticket_id: rec.ticket_id, serv_name: rec.serv_name, status: rec.status };
}

/** Redis key of a record; the user id's length keeps "a:b"+"c" apart from "a"+"b:c". */
export function idempotencyRedisKey(prefix: string, userId: string, key: string, kind: 'rec' | 'claim'): string {
  return `${prefix}idem:${kind}:${userId.length}:${userId}:${key}`;
}
