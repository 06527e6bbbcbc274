/**
 * The SQLite tasks table, its indexes and the migration of data folders from older versions.
 * Every task write is a WAL commit whose cost, on virtualised hosts, is mostly system calls: two
 * writes per page it changes, plus the WAL locks; so each index here must earn its page writes.
 */
import type Database from 'better-sqlite3';

/**
 * `seq` orders acceptance. Without AUTOINCREMENT a new row takes the highest seq plus one, so an
 * insert writes no sqlite_sequence page; a seq is reused only after every newer row was deleted,
 * which cannot reorder anything still queued. (Folders from before keep their AUTOINCREMENT table.)
 */
const TABLE_SQL = `
CREATE TABLE IF NOT EXISTS tasks (
  seq          INTEGER PRIMARY KEY,
  ticket_id    TEXT NOT NULL UNIQUE,
  task_type    TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  params       TEXT NOT NULL,
  status       TEXT NOT NULL,
  serv_name    TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  started_at   TEXT,
  completed_at TEXT,
  error_info   TEXT,
  error_code   TEXT,
  result       TEXT,
  progress     TEXT,
  attempts     INTEGER NOT NULL DEFAULT 0,
  batch_key    TEXT,
  batch_images INTEGER NOT NULL DEFAULT 1
)`;

/**
 * name → definition, as SQLite stores it. On open, an index whose stored definition differs is
 * rebuilt (one pass over the table, once, when a folder from an older version is first opened).
 */
const INDEXES: Record<string, string> = {
  // The start-up listing of the queue reads this alone, never the rows (whose params may be large);
  // crash recovery and /ready's counts read its status prefix.
  tasks_queue: 'CREATE INDEX tasks_queue ON tasks(status, seq, ticket_id, user_id, task_type, created_at, batch_key, batch_images)',
  // Retention finds the oldest finished tasks without reading the rest.
  tasks_finished: `CREATE INDEX tasks_finished ON tasks(completed_at) WHERE status IN ('Completed', 'Failed', 'Cancelled')`,
};

/** The start-up listing of the queue (tests check its plan reads the covering index only). */
export const QUEUED_SQL = `SELECT seq, ticket_id, user_id, task_type, created_at, batch_key, batch_images FROM tasks WHERE status = 'Queueing' ORDER BY seq`;

/** The tasks a crash left running (few: each row read is cheap). */
export const RUNNING_SQL = `SELECT ticket_id, attempts FROM tasks WHERE status = 'In Progress'`;

/** Tasks per status, from the status prefix of tasks_queue. */
export const COUNTS_SQL = 'SELECT status, COUNT(*) AS n FROM tasks GROUP BY status';

/**
 * The oldest finished tasks, from the partial index in completed_at order. INDEXED BY because
 * the planner, without statistics, prefers tasks_queue and sorts every finished row.
 */
export const FINISHED_BEFORE_SQL = `SELECT ticket_id, status, completed_at,
  CASE WHEN status = 'Completed' THEN json_extract(result, '$.file') END AS result_file
  FROM tasks INDEXED BY tasks_finished
  WHERE status IN ('Completed', 'Failed', 'Cancelled') AND completed_at < ? ORDER BY completed_at LIMIT ?`;

/** Columns added after the first release: a data folder from an older version gains them on open. */
const ADDED_COLUMNS: readonly [name: string, type: string][] = [['error_code', 'TEXT'], ['batch_key', 'TEXT'], ['batch_images', 'INTEGER NOT NULL DEFAULT 1']];

/** Indexes of older versions that nothing reads any more (tasks_queue starts with status too: it only cost every write). */
const RETIRED_INDEXES = ['tasks_status'];

/** Creates the table, or brings one from an older version up to date, with exactly INDEXES. */
export function prepareSchema(db: Database.Database): void {
  db.exec(TABLE_SQL);
  const have = new Set((db.prepare('PRAGMA table_info(tasks)').all() as { name: string }[]).map((c) => c.name));
  for (const [name, type] of ADDED_COLUMNS) {
    if (!have.has(name)) db.exec(`ALTER TABLE tasks ADD COLUMN ${name} ${type}`);
  }
  for (const name of RETIRED_INDEXES) db.exec(`DROP INDEX IF EXISTS ${name}`);
  const stored = new Map((db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tasks' AND sql IS NOT NULL`)
    .all() as { name: string; sql: string }[]).map((i) => [i.name, i.sql]));
  db.transaction(() => {
    for (const [name, sql] of Object.entries(INDEXES)) {
      if (stored.get(name)?.replace(/\s+/g, ' ') === sql) continue;
      db.exec(`DROP INDEX IF EXISTS ${name}`);
      db.exec(sql);
    }
  })();
}
