/**
 * The compatibility layer: the AUTOMATIC1111 API (/sdapi/v1) and the OpenAI Images API (/v1)
 * on top of the same submit path, queue and results as the seed API. The composition root
 * passes `compatMount(store)` to createApp, with the per-user options store of its deployment
 * (SQLite in one process, Redis across serve nodes); nothing below this layer knows it exists.
 */
import type { Middleware } from 'koa';
import type { AppMount, MountContext, MountFactory } from '../api/app-mount.js';
import { ActiveCalls } from './active-calls.js';
import { a1111Router } from './a1111/router.js';
import type { UserOptionsStore } from './a1111/user-options.js';
import { CallRunner } from './call-runner.js';
import { compatOpenApi } from './openapi.js';
import { openaiRouter } from './openai/router.js';
import { TaskWaiter } from './task-waiter.js';
import { UnknownFields } from './unknown-fields.js';

export { compatOpenApi } from './openapi.js';
export { RedisUserOptions, SqliteUserOptions, type UserOptionsStore } from './a1111/user-options.js';

export function compatMount(options: UserOptionsStore): MountFactory {
  return (mount) => mountCompat(mount, options);
}

function mountCompat(mount: MountContext, options: UserOptionsStore): AppMount {
  const { config, log } = mount;
  if (!config.compat.enabled) {
    const pass: Middleware = (_ctx, next) => next();
    return { middleware: pass, close: () => options.close() };
  }
  const waiter = new TaskWaiter(mount.frontend.events, mount.store);
  const calls = new ActiveCalls();
  const runner = new CallRunner({
    accept: mount.accept, limiter: mount.limiter, frontend: mount.frontend, waiter, calls, waitMs: config.compat.waitMs, log,
  });
  const unknown = new UnknownFields(log);
  const a1111 = a1111Router({ mount, runner, calls, options, unknown });
  const openai = openaiRouter({ mount, runner, unknown });
  return {
    middleware: async (ctx, next) => a1111(ctx, () => openai(ctx, next)),
    openapi: compatOpenApi(),
    async close() {
      waiter.close();
      await options.close();
    },
  };
}
