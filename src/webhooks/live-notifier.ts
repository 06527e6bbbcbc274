/**
 * Best-effort webhooks for a running task: "start" when it begins to run, "progress" at most
 * every `progressMs` (the latest progress wins; one POST at a time per task, so a slow receiver
 * gets fewer, not queued, calls). One attempt each, no persistence: the final state is the
 * dispatcher's job, which retries until delivered. Kept by the node that accepted the task;
 * every node sees the events, but only this one holds the registration, so nothing is sent twice.
 */
import type { WebhookEvent } from '../tasks/webhook-event.js';
import { taskView } from '../tasks/task-view.js';
import type { Logger } from '../infra/logging.js';
import type { TaskEvents } from '../queue/task-events.js';
import { FINAL_STATUSES, type Progress, type TaskRecord, type TaskStatus } from '../tasks/types.js';
import { sendWebhook, type SenderConfig } from './send.js';

interface Watch {
  url: string;
  baseUrl: string;
  events: ReadonlySet<WebhookEvent>;
  busy: boolean;
  /** Progress that arrived while a POST was under way; sent when it ends. */
  queued: { event: WebhookEvent; record: TaskRecord; progress: Progress | null } | null;
  lastProgressAt: number;
  startSent: boolean;
}

/** Tasks watched at once per node; the oldest watch goes first past this. */
const MAX_WATCHES = 100_000;

export interface LiveNotifierDeps {
  events: TaskEvents;
  sender: SenderConfig;
  /** The task's stored state (for the body of a progress call). */
  getTask(ticketId: string): Promise<TaskRecord | null>;
  progressMs: number;
  log: Logger;
  onSent?(event: WebhookEvent, ok: boolean): void;
}

export class LiveNotifier {
  private readonly watches = new Map<string, Watch>();
  private readonly onStatus = (ticketId: string, status: TaskStatus, record: TaskRecord | null) => {
    const w = this.watches.get(ticketId);
    if (!w) return;
    if (FINAL_STATUSES.has(status)) {
      this.watches.delete(ticketId);
      return;
    }
    if (status === 'In Progress' && record) this.started(ticketId, w, record);
  };
  private readonly onProgress = (ticketId: string, progress: Progress) => {
    const w = this.watches.get(ticketId);
    if (!w || !w.events.has('progress')) return;
    const now = Date.now();
    if (now - w.lastProgressAt < this.d.progressMs && progress.step !== progress.total) return;
    w.lastProgressAt = now;
    void this.d.getTask(ticketId).then((rec) => {
      if (!rec || rec.status !== 'In Progress') return;
      this.started(ticketId, w, rec); // "start" goes first even if its status event came before watch()
      this.enqueue(ticketId, w, 'progress', rec, progress);
    }, () => undefined);
  };

  constructor(private readonly d: LiveNotifierDeps) {
    d.events.on('status', this.onStatus);
    d.events.on('progress', this.onProgress);
  }

  /**
   * Watches a task whose callback_events ask for "start" or "progress". The task may have
   * started before this registration (a fast claim), so its state is read once here too.
   */
  async watch(ticketId: string, url: string, baseUrl: string, events: readonly WebhookEvent[]): Promise<void> {
    if (!events.includes('start') && !events.includes('progress')) return;
    const w: Watch = { url, baseUrl, events: new Set(events), busy: false, queued: null, lastProgressAt: 0, startSent: false };
    this.watches.set(ticketId, w);
    // A final event missed (a dropped subscription) would leave its watch behind: bound the map.
    if (this.watches.size > MAX_WATCHES) this.watches.delete(this.watches.keys().next().value as string);
    const rec = await this.d.getTask(ticketId).catch(() => null);
    if (rec && FINAL_STATUSES.has(rec.status)) this.watches.delete(ticketId);
    else if (rec?.status === 'In Progress') this.started(ticketId, w, rec);
  }

  private started(ticketId: string, w: Watch, record: TaskRecord): void {
    if (!w.events.has('start') || w.startSent) return;
    w.startSent = true;
    this.enqueue(ticketId, w, 'start', record, null);
  }

  close(): void {
    this.d.events.off('status', this.onStatus);
    this.d.events.off('progress', this.onProgress);
    this.watches.clear();
  }

  private enqueue(ticketId: string, w: Watch, event: WebhookEvent, record: TaskRecord, progress: Progress | null): void {
    // "start" is never replaced by a later progress; a newer progress replaces an older one.
    if (w.busy) {
      if (!(w.queued?.event === 'start' && event === 'progress')) w.queued = { event, record, progress };
      return;
    }
    w.busy = true;
    void this.send(ticketId, w, event, record, progress).finally(() => {
      w.busy = false;
      const next = w.queued;
      w.queued = null;
      if (next && this.watches.get(ticketId) === w) this.enqueue(ticketId, w, next.event, next.record, next.progress);
    });
  }

  private async send(ticketId: string, w: Watch, event: WebhookEvent, record: TaskRecord, progress: Progress | null): Promise<void> {
    const body = JSON.stringify(taskView(record, w.baseUrl, null, progress));
    try {
      const status = await sendWebhook(this.d.sender, w.url, ticketId, event, 1, body);
      this.d.onSent?.(event, status >= 200 && status < 300);
    } catch (err) {
      this.d.log.debug({ err: (err as Error).message, ticket_id: ticketId, event }, 'live webhook not delivered (best effort)');
      this.d.onSent?.(event, false);
    }
  }
}
