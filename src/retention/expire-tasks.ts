/**
 * Deletes finished tasks older than the task TTL, a page at a time. Each task's files go first
 * (its result, then whatever the cleanups hold for it: stored inputs, …) and its record last, so
 * a crash in between leaves a record whose files are gone, which the next sweep deletes; never
 * files nobody can find. A task whose cleanup fails keeps its record and is tried again next sweep.
 */
import type { Logger } from '../infra/logging.js';
import type { ResultStore } from '../results/result-store.js';
import type { FinishedTask, TaskStore } from '../store/task-store.js';
import type { TaskRecord } from '../tasks/types.js';

/** A finished task about to be deleted. */
export interface ExpiringTask extends FinishedTask {
  /** The whole record, parameters included, read on demand (for a cleanup that needs them). */
  record(): Promise<TaskRecord | null>;
}

/**
 * Something kept for a ticket outside its record (a stored input, a webhook row), deleted before
 * the record. It must treat "already gone" as done: sweeps may repeat, and several may run.
 */
export type TicketCleanup = (task: ExpiringTask) => Promise<void>;

export interface ExpireTasksDeps {
  store: Pick<TaskStore, 'get' | 'finishedBefore' | 'deleteFinished'>;
  results: Pick<ResultStore, 'remove'>;
  cleanups: readonly TicketCleanup[];
  log: Logger;
}

/** Tasks per store call: a page is one short transaction or script, so a sweep never blocks. */
export const PAGE = 100;
/** Pages per sweep; the rest waits for the next sweep. */
export const MAX_PAGES = 50;

/** Returns how many task records were deleted. */
export async function expireTasks(d: ExpireTasksDeps, before: string): Promise<number> {
  let deleted = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const tasks = await d.store.finishedBefore(before, PAGE);
    if (tasks.length === 0) break;
    const clean: string[] = [];
    for (const t of tasks) {
      if (await cleanUp(d, t)) clean.push(t.ticket_id);
    }
    const gone = await d.store.deleteFinished(clean, before);
    deleted += gone.length;
    // A page whose every cleanup failed would come back first again: leave it for the next sweep.
    if (clean.length === 0 || tasks.length < PAGE) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return deleted;
}

async function cleanUp(d: ExpireTasksDeps, t: FinishedTask): Promise<boolean> {
  const task: ExpiringTask = { ...t, record: () => d.store.get(t.ticket_id) };
  try {
    if (t.result_file) await d.results.remove(t.result_file);
    for (const cleanup of d.cleanups) await cleanup(task);
    return true;
  } catch (err) {
    d.log.warn({ ticket_id: t.ticket_id, err: (err as Error).message }, 'retention: could not delete what a finished task keeps; it stays until the next sweep');
    return false;
  }
}
