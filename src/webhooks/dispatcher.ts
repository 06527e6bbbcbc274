/**
 * Delivers each task's final state to its callback_url. Listens to the task events (never in
 * the completion path: a slow or dead receiver cannot delay a task), retries with exponential
 * backoff up to a bound, and keeps its state in a WebhookBackend so pending deliveries survive a
 * restart (at-least-once: a crash between the receiver's 2xx and our bookkeeping sends it again).
 *
 * Several dispatchers may share one backend (serve nodes over Redis): arming is atomic, so one
 * node schedules a delivery; each attempt first claims the row under a lease; and every node
 * polls for due deliveries, so one whose node died is picked up by another.
 */
import { AddressRefusedError } from '../infra/net/resolve-target.js';
import type { Logger } from '../infra/logging.js';
import type { TaskEvents } from '../queue/task-events.js';
import type { TaskStore } from '../store/task-store.js';
import { FINAL_STATUSES, type TaskStatus } from '../tasks/types.js';
import { taskView } from '../tasks/task-view.js';
import { sendWebhook, type SenderConfig } from './send.js';
import type { WebhookBackend } from './webhook-backend.js';

export interface WebhookLimits {
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  /** How often to look for due deliveries that no timer here covers (another node's, or from before a restart). */
  pollMs: number;
}

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed';

export interface DispatcherDeps {
  hooks: WebhookBackend;
  tasks: TaskStore;
  events: TaskEvents;
  sender: SenderConfig;
  limits: WebhookLimits;
  log: Logger;
  /** Metrics hook. */
  onAttempt?(outcome: DeliveryOutcome): void;
}

/** Rows examined per poll or start-up pass; the rest wait for the next one. */
const BATCH = 200;

export class WebhookDispatcher {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Attempts under way; close() waits for them so their bookkeeping lands before the store closes. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private poller: NodeJS.Timeout | null = null;
  private polling = false;
  private caughtUp = false;
  private closed = false;
  private readonly onStatus = (ticketId: string, status: TaskStatus) => {
    if (FINAL_STATUSES.has(status)) void this.trigger(ticketId);
  };

  constructor(private readonly d: DispatcherDeps) {}

  /**
   * Subscribe and start polling. The first successful poll also catches up on tasks that finished
   * while no one listened; until the store answers (Redis still connecting) polls just retry.
   */
  async start(): Promise<void> {
    this.d.events.on('status', this.onStatus);
    this.poller = setInterval(() => void this.poll(), this.d.limits.pollMs);
    this.poller.unref();
    await this.poll();
  }

  /** A task with a callback_url was accepted. It may already be final (a very fast task). */
  async register(ticketId: string, url: string, baseUrl: string): Promise<void> {
    await this.d.hooks.register(ticketId, url, baseUrl);
    void this.armIfFinal(ticketId);
  }

  /**
   * Stop scheduling and wait for attempts already posting (each is bounded by the receiver
   * timeout), so a delivery the receiver accepted is recorded before the store is closed.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.d.events.off('status', this.onStatus);
    if (this.poller) clearInterval(this.poller);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private async poll(): Promise<void> {
    if (this.closed || this.polling) return;
    this.polling = true;
    try {
      if (!this.caughtUp) {
        for (const id of await this.d.hooks.waiting(10_000)) await this.armIfFinal(id);
        this.caughtUp = true;
      }
      for (const id of await this.d.hooks.due(Date.now(), BATCH)) this.schedule(id, 0);
    } catch (err) {
      this.d.log.warn({ err }, 'webhook poll failed; will retry');
    } finally {
      this.polling = false;
    }
  }

  private async armIfFinal(ticketId: string): Promise<void> {
    const rec = await this.d.tasks.get(ticketId).catch(() => null);
    if (rec && FINAL_STATUSES.has(rec.status)) await this.trigger(ticketId);
  }

  private async trigger(ticketId: string): Promise<void> {
    if (this.closed) return;
    try {
      if (await this.d.hooks.arm(ticketId, Date.now())) this.schedule(ticketId, 0);
    } catch (err) {
      // The row stays waiting; start-up or the next final event arms it.
      this.d.log.warn({ err, ticket_id: ticketId }, 'webhook could not be armed');
    }
  }

  private schedule(ticketId: string, delayMs: number): void {
    if (this.closed || this.timers.has(ticketId) || this.inFlight.has(ticketId)) return;
    const timer = setTimeout(() => {
      this.timers.delete(ticketId);
      const run = this.attempt(ticketId)
        .then((retryInMs) => {
          this.inFlight.delete(ticketId);
          // Scheduled only now: while the attempt was in flight, schedule() would have refused it.
          if (retryInMs !== null) this.schedule(ticketId, retryInMs);
        }, (err: unknown) => {
          this.inFlight.delete(ticketId);
          // Bookkeeping failed (the store is unreachable): the row stays pending and a later poll retries it.
          this.d.log.error({ err, ticket_id: ticketId }, 'webhook bookkeeping failed');
        });
      this.inFlight.set(ticketId, run);
    }, Math.max(0, delayMs));
    timer.unref();
    this.timers.set(ticketId, timer);
  }

  private backoff(attempts: number): number {
    const base = Math.min(this.d.limits.maxBackoffMs, this.d.limits.backoffMs * 2 ** (attempts - 1));
    // ±20 % jitter so receivers that failed together are not retried in lockstep.
    return Math.round(base * (0.8 + 0.4 * Math.random()));
  }

  /** One delivery attempt; resolves to the delay before the next one, or null when none is due here. */
  private async attempt(ticketId: string): Promise<number | null> {
    if (this.closed) return null;
    // The lease outlives the POST's timeout, so no one else sends while this one may still succeed.
    const row = await this.d.hooks.claim(ticketId, Date.now(), this.d.sender.timeoutMs + 5_000);
    if (!row) return null;
    const log = this.d.log.child({ ticket_id: ticketId });
    const attempts = row.attempts + 1;
    let error: string | null = null;
    let permanent = false;
    try {
      const rec = await this.d.tasks.get(ticketId);
      if (!rec) throw new Error('the task record is gone');
      const body = JSON.stringify(taskView(rec, row.base_url, null, null));
      const status = await sendWebhook(this.d.sender, row.url, ticketId, 'completed', attempts, body);
      if (status < 200 || status > 299) error = `receiver answered HTTP ${status}`;
    } catch (err) {
      error = (err as Error).message;
      permanent = err instanceof AddressRefusedError;
    }
    if (error === null) {
      await this.d.hooks.finish(ticketId, 'delivered', attempts, null);
      log.info({ attempts, url: row.url }, 'webhook delivered');
      this.d.onAttempt?.('delivered');
      return null;
    }
    if (permanent || attempts >= this.d.limits.maxAttempts) {
      await this.d.hooks.finish(ticketId, 'failed', attempts, error);
      log.warn({ attempts, url: row.url, error }, 'webhook given up');
      this.d.onAttempt?.('failed');
      return null;
    }
    const delay = this.backoff(attempts);
    await this.d.hooks.retryLater(ticketId, attempts, Date.now() + delay, error);
    log.info({ attempts, url: row.url, error, retry_in_ms: delay }, 'webhook failed; will retry');
    this.d.onAttempt?.('retry');
    return delay;
  }
}
