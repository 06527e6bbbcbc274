/**
 * Where webhook registrations and delivery state live. One machine keeps them in SQLite beside the
 * API's other state; serve nodes sharing Redis keep them there, so a delivery does not depend on
 * the node that accepted the task: any node's dispatcher claims what is due, under a lease, and a
 * node that dies mid-delivery only delays it until the lease lapses.
 */

/** waiting: task not final yet; pending: to be (re)tried at next_at; delivered / failed: done. */
export type WebhookState = 'waiting' | 'pending' | 'delivered' | 'failed';

export interface WebhookRow {
  ticket_id: string;
  url: string;
  base_url: string;
  state: WebhookState;
  attempts: number;
  next_at: number;
  last_error: string | null;
}

export interface WebhookBackend {
  register(ticketId: string, url: string, baseUrl: string): Promise<void>;
  get(ticketId: string): Promise<WebhookRow | null>;
  /** waiting → pending, due at `at`; false if it was not waiting (a second final event changes nothing). */
  arm(ticketId: string, at: number): Promise<boolean>;
  /**
   * Takes a pending, due delivery for `leaseMs` so no other dispatcher sends it meanwhile; null
   * when it is not pending, not due yet, or leased by someone else whose lease has not lapsed.
   */
  claim(ticketId: string, now: number, leaseMs: number): Promise<WebhookRow | null>;
  /** Records a failed attempt and the next try; ends the lease. */
  retryLater(ticketId: string, attempts: number, nextAt: number, error: string): Promise<void>;
  finish(ticketId: string, state: 'delivered' | 'failed', attempts: number, error: string | null): Promise<void>;
  /** Pending deliveries due by `now` (those leased elsewhere included: claim() sorts them out). */
  due(now: number, limit: number): Promise<string[]>;
  /** Registrations whose task was not final when last seen (start-up catches up on them). */
  waiting(limit: number): Promise<string[]>;
  close(): Promise<void>;
}
