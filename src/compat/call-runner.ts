/**
 * One synchronous compat call: its tasks are submitted through the same path as submit_task
 * (validator, model checks, queue caps, rate limit), then the HTTP request waits for them.
 * A client that goes away cancels its tasks; so does the wait limit, which answers 504.
 */
import type { Context } from 'koa';
import type { SubmitLimiter } from '../api/rate-limit.js';
import type { Logger } from '../infra/logging.js';
import type { TaskFrontend } from '../queue/task-frontend.js';
import type { TaskRecord, TaskType } from '../tasks/types.js';
import type { ActiveCall, ActiveCalls } from './active-calls.js';
import { CompatError } from './errors.js';
import type { TaskWaiter } from './task-waiter.js';

export interface CallRunnerDeps {
  accept(body: unknown): Promise<TaskRecord>;
  limiter: SubmitLimiter;
  frontend: TaskFrontend;
  waiter: TaskWaiter;
  calls: ActiveCalls;
  waitMs: number;
  log: Logger;
}

export interface TaskRequest {
  task_type: TaskType;
  task_params: Record<string, unknown>;
}

export class CallRunner {
  constructor(private readonly d: CallRunnerDeps) {}

  /** Submits the tasks in order as `user` and resolves with their final records (same order). */
  async run(ctx: Context, user: string, requests: readonly TaskRequest[]): Promise<TaskRecord[]> {
    const call: ActiveCall = { user, tickets: [], startedAt: Date.now() };
    try {
      for (const r of requests) {
        await this.d.limiter.take(user);
        const rec = await this.d.accept({ task_type: r.task_type, task_params: r.task_params, user_id: user });
        call.tickets.push(rec.ticket_id);
      }
    } catch (err) {
      // All or nothing: a batch that cannot be queued whole leaves nothing behind.
      this.cancel(call.tickets, 'the rest of the batch was refused');
      throw err;
    }

    this.d.calls.add(call);
    let settled = false;
    const onClose = () => {
      if (settled || ctx.res.writableEnded) return;
      this.d.log.info({ user_id: user, tickets: call.tickets }, 'compat: client disconnected; cancelling its tasks');
      this.cancel(call.tickets, 'client disconnected');
    };
    ctx.res.once('close', onClose);
    let timer: NodeJS.Timeout | undefined;
    try {
      // The client may have gone while we were submitting; its close event is then already past.
      if (ctx.req.socket.destroyed) onClose();
      const all = Promise.all(call.tickets.map((t) => this.d.waiter.wait(t)));
      const limit = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(CompatError.of('timeout',
          `The images were not ready within ${Math.round(this.d.waitMs / 1000)} s (BACKSERV_COMPAT_WAIT_MS); their tasks were cancelled. `
          + 'The queue may be long: retry later.')), this.d.waitMs);
      });
      try {
        return await Promise.race([all, limit]);
      } catch (err) {
        this.cancel(call.tickets, 'wait limit reached');
        throw err;
      }
    } finally {
      settled = true;
      clearTimeout(timer);
      ctx.res.off('close', onClose);
      this.d.calls.remove(call);
    }
  }

  /** Cancels tickets without waiting (a final task answers "final", which is fine). */
  cancel(tickets: readonly string[], why: string): void {
    for (const t of tickets) {
      this.d.frontend.cancel(t).catch((err: unknown) => this.d.log.warn({ err, ticket_id: t, why }, 'compat: cancel failed'));
    }
  }
}
