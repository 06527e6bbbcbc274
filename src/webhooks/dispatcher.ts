/**
 * Delivers each task's final state to its callback_url. Listens to the task events (never in
 * the completion path: a slow or dead receiver cannot delay a task), retries with exponential
 * backoff up to a bound, and keeps its state in SQLite so pending deliveries survive a restart
 * (at-least-once: a crash between the receiver's 2xx and our bookkeeping sends it again).
 */
import type { UrlAllowlist } from '../imaging/address-policy.js';
import type { HostResolver } from '../imaging/resolve-target.js';
import type { Logger } from '../logging.js';
import type { TaskEvents } from '../queue/task-events.js';
import type { TaskStore } from '../store/task-store.js';
import { FINAL_STATUSES, type TaskStatus } from '../tasks/types.js';
import { taskView } from '../api/task-view.js';
import { postJsonPinned } from './post-json.js';
import { SIGNATURE_HEADER, signatureHeader } from './signature.js';
import type { WebhookStore } from './webhook-store.js';

export interface WebhookLimits {
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  timeoutMs: number;
}

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed';

export interface DispatcherDeps {
  hooks: WebhookStore;
  tasks: TaskStore;
  events: TaskEvents;
  secret: string;
  allowlist: UrlAllowlist;
  resolver: HostResolver;
  limits: WebhookLimits;
  log: Logger;
  /** Metrics hook. */
  onAttempt?(outcome: DeliveryOutcome): void;
}

export class WebhookDispatcher {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly busy = new Set<string>();
  /** Attempts under way; close() waits for them so their bookkeeping lands before the store closes. */
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  private readonly onStatus = (ticketId: string, status: TaskStatus) => {
    if (FINAL_STATUSES.has(status)) this.trigger(ticketId);
  };

  constructor(private readonly d: DispatcherDeps) {}

  /** Subscribe and pick up what a previous run left: pending retries, and tasks that finished meanwhile. */
  async start(): Promise<void> {
    this.d.events.on('status', this.onStatus);
    for (const row of this.d.hooks.inState('pending')) this.schedule(row.ticket_id, row.next_at - Date.now());
    for (const row of this.d.hooks.inState('waiting')) await this.armIfFinal(row.ticket_id);
  }

  /** A task with a callback_url was accepted. It may already be final (a very fast task). */
  register(ticketId: string, url: string, baseUrl: string): void {
    this.d.hooks.register(ticketId, url, baseUrl);
    void this.armIfFinal(ticketId);
  }

  /**
   * Stop scheduling and wait for attempts already posting (each is bounded by the receiver
   * timeout), so a delivery the receiver accepted is recorded before the store is closed.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.d.events.off('status', this.onStatus);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  private async armIfFinal(ticketId: string): Promise<void> {
    const rec = await this.d.tasks.get(ticketId).catch(() => null);
    if (rec && FINAL_STATUSES.has(rec.status)) this.trigger(ticketId);
  }

  private trigger(ticketId: string): void {
    if (this.closed) return;
    if (this.d.hooks.arm(ticketId, Date.now())) this.schedule(ticketId, 0);
  }

  private schedule(ticketId: string, delayMs: number): void {
    if (this.closed || this.timers.has(ticketId)) return;
    const timer = setTimeout(() => {
      this.timers.delete(ticketId);
      const run = this.attempt(ticketId).catch((err: unknown) => {
        // Bookkeeping failed (the store is unreadable): the row stays pending and the next start retries it.
        this.d.log.error({ err, ticket_id: ticketId }, 'webhook bookkeeping failed');
      });
      this.inFlight.add(run);
      void run.finally(() => this.inFlight.delete(run));
    }, Math.max(0, delayMs));
    timer.unref();
    this.timers.set(ticketId, timer);
  }

  private backoff(attempts: number): number {
    const base = Math.min(this.d.limits.maxBackoffMs, this.d.limits.backoffMs * 2 ** (attempts - 1));
    // ±20 % jitter so receivers that failed together are not retried in lockstep.
    return Math.round(base * (0.8 + 0.4 * Math.random()));
  }

  private async attempt(ticketId: string): Promise<void> {
    if (this.closed || this.busy.has(ticketId)) return;
    const row = this.d.hooks.get(ticketId);
    if (!row || row.state !== 'pending') return;
    this.busy.add(ticketId);
    const log = this.d.log.child({ ticket_id: ticketId });
    const attempts = row.attempts + 1;
    let error: string | null = null;
    try {
      const rec = await this.d.tasks.get(ticketId);
      if (!rec) throw new Error('the task record is gone');
      const body = JSON.stringify(taskView(rec, row.base_url, null, null));
      const headers = {
        [SIGNATURE_HEADER]: signatureHeader(this.d.secret, body, Math.floor(Date.now() / 1000)),
        'X-Backserv-Ticket': ticketId,
        'X-Backserv-Attempt': String(attempts),
        'User-Agent': 'Back.Serv webhooks',
      };
      const res = await postJsonPinned(row.url, body, headers, this.d.allowlist, this.d.resolver, this.d.limits.timeoutMs);
      if (res.status < 200 || res.status > 299) error = `receiver answered HTTP ${res.status}`;
    } catch (err) {
      error = (err as Error).message;
    } finally {
      this.busy.delete(ticketId);
    }
    if (this.closed && error !== null) return; // left pending: the next start retries it
    if (error === null) {
      this.d.hooks.finish(ticketId, 'delivered', attempts, null);
      log.info({ attempts, url: row.url }, 'webhook delivered');
      this.d.onAttempt?.('delivered');
    } else if (attempts >= this.d.limits.maxAttempts) {
      this.d.hooks.finish(ticketId, 'failed', attempts, error);
      log.warn({ attempts, url: row.url, error }, 'webhook given up');
      this.d.onAttempt?.('failed');
    } else {
      const delay = this.backoff(attempts);
      this.d.hooks.retryLater(ticketId, attempts, Date.now() + delay, error);
      log.info({ attempts, url: row.url, error, retry_in_ms: delay }, 'webhook failed; will retry');
      this.d.onAttempt?.('retry');
      this.schedule(ticketId, delay);
    }
  }
}
