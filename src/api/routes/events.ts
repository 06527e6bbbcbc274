/**
 * GET /events/:ticket_id — Server-Sent Events for one task.
 *
 * Events: `status` (data: the query_task view; first on connect and on each change),
 * `queue` ({queue_position}, while queued, when it changes), `progress` ({step, total,
 * percent, preview_url?}) and `preview` ({url, step}: a new live preview, image_creation). Every event has a numeric `id:`; the final status has `id: done` and the stream
 * closes after it. The server keeps no history: a reconnect with Last-Event-ID gets the current
 * state first and numbering continues after the id it sent, so ids keep increasing for the
 * client. `Last-Event-ID: done` on a finished task answers 204 (EventSource stops reconnecting).
 */
import type { Context } from 'koa';
import { notFound } from '../../tasks/errors.js';
import { openEventStream } from './sse-stream.js';
import type { TaskFrontend } from '../../queue/task-frontend.js';
import type { TaskStore } from '../../store/task-store.js';
import { FINAL_STATUSES, type Progress, type TaskRecord, type TaskStatus } from '../../tasks/types.js';
import type { ApiKeys } from '../auth.js';
import { progressView, taskView } from '../../tasks/task-view.js';

export interface EventsDeps {
  store: TaskStore;
  frontend: TaskFrontend;
  keys: ApiKeys;
  heartbeatMs: number;
  baseUrl(ctx: Context): string;
  onOpen?(delta: 1 | -1): void;
}

const TICKET = /^[A-Za-z0-9-]{1,64}$/;

type Pending = { kind: 'status'; status: TaskStatus; record: TaskRecord | null } | { kind: 'progress'; progress: Progress } | { kind: 'queue' };

export function eventsHandler(deps: EventsDeps) {
  return async (ctx: Context): Promise<void> => {
    const id = String(ctx.params.ticket_id);
    const caller = deps.keys.caller(ctx);
    const events = deps.frontend.events;

    // Subscribe before reading the record so no change between the read and the stream is lost.
    const pending: Pending[] = [];
    let wake: (() => void) | null = null;
    const push = (p: Pending) => {
      pending.push(p);
      wake?.();
    };
    const onStatus = (ticket: string, status: TaskStatus, record: TaskRecord | null) => {
      if (ticket === id) push({ kind: 'status', status, record });
      else push({ kind: 'queue' }); // someone else moved: our position may have changed
    };
    const onProgress = (ticket: string, progress: Progress) => {
      if (ticket === id) push({ kind: 'progress', progress });
    };
    events.on('status', onStatus);
    events.on('progress', onProgress);
    const unsubscribe = () => {
      events.off('status', onStatus);
      events.off('progress', onProgress);
    };

    let rec: TaskRecord | null;
    try {
      rec = TICKET.test(id) ? await deps.store.get(id) : null;
      if (!rec) throw notFound(`No task with ticket_id ${id}.`);
      deps.keys.checkOwner(caller, rec.user_id, id);
    } catch (err) {
      unsubscribe();
      throw err;
    }
    const lastId = ctx.get('last-event-id').trim();
    if (lastId === 'done' && FINAL_STATUSES.has(rec.status)) {
      unsubscribe();
      ctx.status = 204;
      return;
    }

    const stream = openEventStream(ctx);

    let seq = /^\d{1,15}$/.test(lastId) ? Number(lastId) : 0;
    let closed = false;
    const send = (event: string, data: unknown, final = false) => {
      if (closed) return;
      stream.write(`id: ${final ? 'done' : ++seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const heartbeat = setInterval(() => {
      if (!closed) stream.write(': ping\n\n');
      push({ kind: 'queue' }); // also covers positions that moved without an event here
    }, deps.heartbeatMs);
    deps.onOpen?.(1);
    const finish = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      unsubscribe();
      deps.onOpen?.(-1);
      wake?.();
      stream.end();
    };
    // The response's 'close' fires when the client goes away (or the server shuts down).
    ctx.res.on('close', finish);
    stream.on('close', finish);

    const base = deps.baseUrl(ctx);
    let lastStatus: TaskStatus | null = null;
    let lastPosition: number | null = null;
    let lastPreviewUrl: string | null = null;
    let lastPreviewStep = -1;
    // Progress only moves forward within one run: a report that arrives late (the worker's store
    // writes and the pub/sub stream reach this node by different connections) is dropped.
    let lastStep = -1;
    const sendStatus = async (r: TaskRecord) => {
      if (r.status !== lastStatus) lastStep = r.status === 'In Progress' ? (r.progress?.step ?? -1) : -1;
      lastStatus = r.status;
      const position = r.status === 'Queueing' ? await deps.frontend.queuePosition(r.ticket_id) : null;
      const view = taskView(r, base, position, deps.frontend.liveProgress(r.ticket_id));
      lastPosition = position;
      const final = FINAL_STATUSES.has(r.status);
      send('status', view, final);
      if (final) finish();
    };

    stream.write('retry: 2000\n\n');
    await sendStatus(rec);
    // Drain the event queue in order on its own task, so this handler returns and Koa starts
    // streaming the response right away.
    void (async () => {
      while (!closed) {
        if (pending.length === 0) {
          await new Promise<void>((r) => (wake = r));
          wake = null;
          continue;
        }
        const p = pending.shift()!;
        try {
          if (p.kind === 'status') {
            if (p.status === lastStatus) continue;
            const r = p.record ?? (await deps.store.get(id));
            if (r && r.status !== lastStatus) await sendStatus(r);
          } else if (p.kind === 'progress') {
            if (lastStatus === 'In Progress' && p.progress.step >= lastStep) {
              lastStep = p.progress.step;
              const view = progressView(p.progress, base, true);
              send('progress', view);
              // A new live preview (image_creation): its own event, so a page can swap the picture.
              if (view.preview_url && p.progress.step !== lastPreviewStep) {
                lastPreviewStep = p.progress.step;
                if (p.progress.preview !== undefined && view.preview_url !== lastPreviewUrl) send('preview', { url: view.preview_url, step: p.progress.step });
                lastPreviewUrl = view.preview_url;
              }
            }
          } else if (lastStatus === 'Queueing') {
            // Coalesce a burst of other tasks' changes into one position check.
            while (pending[0]?.kind === 'queue') pending.shift();
            const position = await deps.frontend.queuePosition(id);
            if (position !== null && position !== lastPosition) {
              lastPosition = position;
              send('queue', { queue_position: position });
            }
          }
        } catch {
          finish();
        }
      }
    })();
  };
}
