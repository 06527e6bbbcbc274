/**
 * `GET /sdapi/v1/progress`, `POST /sdapi/v1/interrupt` and `/skip`, scoped to the caller: the
 * progress of the caller's own open call (idle: progress 0 and job_count 0, which SillyTavern
 * waits for after switching models), and stopping the caller's own tasks only. `current_image`
 * is the running task's live preview (image_creation writes one every few steps) as base64.
 */
import type { TaskFrontend } from '../../queue/task-frontend.js';
import type { TaskStore } from '../../store/task-store.js';
import { FINAL_STATUSES, type TaskRecord } from '../../tasks/types.js';
import type { ActiveCalls } from '../active-calls.js';

export interface ProgressDeps {
  calls: ActiveCalls;
  store: TaskStore;
  frontend: TaskFrontend;
  /** The bytes of a preview file named in a task's progress (null when it is gone). */
  preview(name: string): Promise<Buffer | null>;
}

const idle = () => ({
  progress: 0,
  eta_relative: 0,
  state: {
    skipped: false, interrupted: false, stopping_generation: false, job: '', job_count: 0, job_timestamp: '0',
    job_no: 0, sampling_step: 0, sampling_steps: 0,
  },
  current_image: null,
  textinfo: null,
});

async function records(d: ProgressDeps, tickets: readonly string[]): Promise<TaskRecord[]> {
  return (await Promise.all(tickets.map((t) => d.store.get(t)))).filter((r): r is TaskRecord => r !== null);
}

export async function progressOf(d: ProgressDeps, user: string): Promise<Record<string, unknown>> {
  const call = d.calls.of(user)[0];
  if (!call) return idle();
  const recs = await records(d, call.tickets);
  const finished = recs.filter((r) => FINAL_STATUSES.has(r.status)).length;
  const runningIdx = recs.findIndex((r) => r.status === 'In Progress');
  const running = runningIdx >= 0 ? recs[runningIdx] : null;
  const live = running ? (d.frontend.liveProgress(running.ticket_id) ?? running.progress) : null;
  const fraction = live && live.total > 0 ? live.step / live.total : 0;
  const progress = recs.length ? Math.min(1, (finished + fraction) / recs.length) : 0;
  const elapsed = (Date.now() - call.startedAt) / 1000;
  const queued = recs.find((r) => r.status === 'Queueing');
  const position = !running && queued ? await d.frontend.queuePosition(queued.ticket_id) : null;
  return {
    progress,
    eta_relative: progress > 0 ? Math.max(0, elapsed / progress - elapsed) : 0,
    state: {
      skipped: false, interrupted: false, stopping_generation: false,
      job: running ? `task(${running.ticket_id})` : '',
      job_count: recs.length,
      job_timestamp: new Date(call.startedAt).toISOString().replace(/\D/g, '').slice(0, 14),
      job_no: running ? runningIdx : finished,
      sampling_step: live?.step ?? 0,
      sampling_steps: live?.total ?? 0,
    },
    current_image: live?.preview ? (await d.preview(live.preview))?.toString('base64') ?? null : null,
    textinfo: position !== null ? `Waiting in the queue (position ${position})` : null,
  };
}

/** interrupt: every unfinished task of the caller's open calls; skip: only the ones running now. */
export async function stopOwn(d: ProgressDeps, user: string, which: 'interrupt' | 'skip'): Promise<number> {
  const tickets = d.calls.of(user).flatMap((c) => c.tickets);
  const recs = await records(d, tickets);
  const targets = recs.filter((r) => (which === 'skip' ? r.status === 'In Progress' : !FINAL_STATUSES.has(r.status))).map((r) => r.ticket_id);
  await Promise.all(targets.map((t) => d.frontend.cancel(t).catch(() => undefined)));
  return targets.length;
}
