/**
 * The seam through which a peer layer (src/compat/) adds routes to the app without the core
 * knowing it: the composition root passes mount factories to createApp, which hands each one
 * the same machinery `POST /submit_task` uses and mounts the router it returns.
 */
import type { Context, Middleware } from 'koa';
import type { Config } from '../config/config.js';
import type { Logger } from '../infra/logging.js';
import type { ModelRegistry } from '../models/types.js';
import type { TaskFrontend } from '../queue/task-frontend.js';
import type { ResultStore } from '../results/result-store.js';
import type { TaskStore } from '../store/task-store.js';
import type { TaskRecord } from '../tasks/types.js';
import type { ApiKeys } from './auth.js';
import type { OpenApiFragment } from './openapi.js';
import type { SubmitLimiter } from './rate-limit.js';

export interface MountContext {
  config: Config;
  store: TaskStore;
  frontend: TaskFrontend;
  models: ModelRegistry;
  results: ResultStore;
  keys: ApiKeys;
  /** The per-user submit rate limit (one token per task), shared with submit_task. */
  limiter: SubmitLimiter;
  log: Logger;
  baseUrl(ctx: Context): string;
  /**
   * Exactly what `POST /submit_task` does after reading its body: the same validator, the
   * installed-model and image-reference checks, then the durable submit (queue caps apply).
   * Throws ApiError.
   */
  accept(body: unknown): Promise<TaskRecord>;
  /**
   * Reads a JSON body as `POST /submit_task` does (content type, size, in-flight budget,
   * timeouts; long strings stream to the input store while they arrive) and returns it parsed,
   * with the long strings read back in full. Throws ApiError.
   */
  readJson(ctx: Context): Promise<unknown>;
}

export interface AppMount {
  /** Mounted after the seed routes; it answers its own paths (errors in its own shape) and passes the rest on. */
  middleware: Middleware;
  /** Paths, tags and schemas added to /openapi.json. */
  openapi?: OpenApiFragment;
  close?(): Promise<void>;
}

export type MountFactory = (ctx: MountContext) => AppMount;
