/**
 * The Koa application, built from its dependencies (no globals) so tests can start it on an
 * ephemeral port with a temporary SQLite file and a small pool.
 */
import { PIPELINE_PARAMS } from '../pipelines/registry.js';
import { acceptedBody, type IdempotencyClaim } from '../store/idempotency-record.js';
import Router from '@koa/router';
import Koa from 'koa';
import type { Config } from '../config/config.js';
import { badRequest, conflict, modelUnavailable, notFound } from '../tasks/errors.js';
import { newTicketId } from '../tasks/ticket-id.js';
import type { Logger } from '../infra/logging.js';
import type { ModelRegistry } from '../models/types.js';
import type { ModelInstaller } from '../models/install/model-installer.js';
import { AdminKeys } from './admin-keys.js';
import { modelsRouter } from './routes/models.js';
import { IMPLEMENTED_TASK_TYPES } from '../pipelines/implemented.js';
import type { TaskFrontend } from '../queue/task-frontend.js';
import type { TaskStore } from '../store/task-store.js';
import type { ResultStore } from '../results/result-store.js';
import type { RetentionStats } from '../retention/sweeper.js';
import type { WorkerStats } from '../workers/task-pool.js';
import type { ApiBackends } from './backends.js';
import { BodyReader } from './body/read-body.js';
import { InflightBudget } from './body/inflight-budget.js';
import type { SpilledBody } from './body/spilled-body.js';
import type { InputStore } from '../store/inputs/input-store.js';
import { serveResult } from './results-route.js';
import { errorMiddleware } from './error-middleware.js';
import { createApiExtras } from './extras.js';
import { checkImageRefs } from './image-refs.js';
import { checkLoras, installedLoras } from './lora-check.js';
import { checkModelNeeds } from './model-needs.js';
import { taskView } from '../tasks/task-view.js';
import { RequestValidator, type SubmitBody } from './validate.js';
import type { TaskRecord } from '../tasks/types.js';
import type { AppMount, MountFactory } from './app-mount.js';

export interface AppDeps {
  config: Config;
  store: TaskStore;
  scheduler: TaskFrontend;
  models: ModelRegistry;
  /** Where /results/:name comes from. */
  results: ResultStore;
  /** Where long strings of request bodies (large data: URIs) go while they arrive. */
  inputs: InputStore;
  log: Logger;
  /** Idempotency, rate-limit and webhook state (SQLite in one process, Redis across serve nodes). */
  backends: ApiBackends;
  /** Crashes of the worker host process so far (embedded mode), for /metrics. */
  workerHostCrashes?(): number;
  /** Per-worker memory and recycles for /metrics (worker processes only). */
  workerStats?(): WorkerStats;
  /** The retention sweeper's figures (results kept, deleted counts), for /metrics; absent: no sweeper here. */
  retention?(): RetentionStats;
  /** Extra facts for /ready (device, native backend, workers); `ready: false` makes it 503. */
  readyInfo(): Record<string, unknown> | Promise<Record<string, unknown>>;
  /** This node's LoRA folder: submits are checked against it and /ready lists it; absent: the worker checks (scale-out serve nodes). */
  loraDir?: string;
  /** Routes of other layers (the compat APIs), built on the same submit path; see app-mount.ts. */
  mounts?: readonly MountFactory[];
  /** Model management (GET /models, install, delete, install events); absent: those routes are not mounted. */
  installer?: ModelInstaller;
}

const TICKET = /^[A-Za-z0-9-]{1,64}$/;
const SUBMIT_ROUTE = '/submit_task';
const QUERY_ROUTE = '/query_task/:ticket_id';
const QUERY_PREFIX = '/query_task/';

/**
 * The Koa app plus the shutdown of what the extensions hold (SQLite handle, webhook timers), and
 * the body reader (with the process's in-flight budget) for other APIs that submit tasks.
 */
export type BackservApp = Koa & { closeExtras(): Promise<void>; bodyReader: BodyReader };

export function createApp(deps: AppDeps): BackservApp {
  const { config, store, scheduler, models, log } = deps;
  const { results } = deps;
  const validator = new RequestValidator();
  const bodyReader = new BodyReader(deps.inputs, new InflightBudget(config.limits.maxInflightBodyBytes), config.limits);
  const app = new Koa({ proxy: false });
  const router = new Router();
  // Without BACKSERV_PUBLIC_URL, result URLs use the host the client reached us by.
  const baseUrl = (ctx: Koa.Context) => config.publicUrl ?? `${ctx.protocol}://${ctx.host}`;

  // Errors Koa sees outside the middleware chain (sockets cut by clients, mostly).
  app.on('error', (err: Error & { code?: string }) => log.debug({ err: err.message, code: err.code }, 'connection error'));
  // SSE, webhooks, idempotency, keys, metrics, docs, playground (src/api/extras.ts).
  const mounted: AppMount[] = [];
  const extras = createApiExtras({
    config, store, frontend: scheduler, log, validator, bodyReader, baseUrl, backends: deps.backends, workerHostCrashes: deps.workerHostCrashes, workerStats: deps.workerStats,
    retention: deps.retention,
    openapiExtra: () => mounted.flatMap((m) => (m.openapi ? [m.openapi] : [])),
  });
  app.use(extras.observe);
  app.use(errorMiddleware(log));
  // The registry reads the models folder on every call; a submit should not. One second of
  // staleness is fine for "a model was just installed".
  let availCache: { at: number; value: ReturnType<ModelRegistry['availability']> } | null = null;
  const availability = () => {
    const now = Date.now();
    if (!availCache || now - availCache.at > 1000) availCache = { at: now, value: models.availability() };
    return availCache.value;
  };
  // An install or delete through the API is seen by the very next submit and /ready.
  const dropAvailability = () => {
    availCache = null;
  };
  deps.installer?.on('changed', dropAvailability);

  /**
   * A validated submit body becomes a durable task (or an ApiError): shared by every route that
   * submits. `spilled`: the read body, when image fields hold stored inputs (kept once the task exists).
   */
  const acceptTask = async (body: SubmitBody, spilled?: SpilledBody, idempotency?: IdempotencyClaim): Promise<TaskRecord> => {
    const avail = availability()[body.task_type];
    if (!IMPLEMENTED_TASK_TYPES.has(body.task_type)) {
      throw modelUnavailable(`${body.task_type} is not available on this server yet: its pipeline is not installed in this build.`);
    }
    if (!avail.available) {
      throw modelUnavailable(`No model for ${body.task_type} is installed. Install one with: ${avail.installCommand}`);
    }
    const requested = body.task_params.model;
    if (typeof requested === 'string' && models.resolve(body.task_type, requested)?.id !== requested) {
      throw badRequest('invalid_request', `task_params.model: ${requested} is not an installed model for ${body.task_type}.`);
    }
    const modelIssue = PIPELINE_PARAMS[body.task_type].modelCheck?.(body.task_params, models);
    if (modelIssue) throw badRequest('invalid_request', modelIssue);
    checkModelNeeds(body.task_type, body.task_params, avail);
    checkImageRefs(body.task_type, body.task_params, config.limits.fetchMaxBytes, spilled);
    if (body.task_type === 'image_creation') checkLoras(body, deps.loraDir, models.resolve('image_creation', typeof requested === 'string' ? requested : undefined));
    const rec = await scheduler.submit({
      ticket_id: newTicketId(),
      task_type: body.task_type,
      user_id: body.user_id,
      params: body.task_params,
      serv_name: config.servName,
      created_at: new Date().toISOString(),
      ...(idempotency ? { idempotency } : {}),
    });
    spilled?.keep(); // the task refers to its stored inputs now
    log.info({ ticket_id: rec.ticket_id, task_type: rec.task_type, user_id: rec.user_id }, 'task accepted');
    return rec;
  };

  const submitTask = async (ctx: Koa.Context) => {
    // Read and validated by the guard (which also handles keys, idempotency, rate limit).
    const rec = await acceptTask(ctx.state.submitBody as SubmitBody, ctx.state.spilledBody as SpilledBody, ctx.state.idempotency as IdempotencyClaim | undefined);
    ctx.status = 202;
    ctx.body = acceptedBody(rec);
  };
  router.post(SUBMIT_ROUTE, extras.submitGuard, submitTask);

  const queryTask = async (ctx: Koa.Context, id: string) => {
    const rec = TICKET.test(id) ? await store.get(id) : null;
    await extras.guardTicket(ctx, id, rec);
    if (!rec) throw notFound(`No task with ticket_id ${id}.`);
    ctx.body = taskView(rec, baseUrl(ctx), await scheduler.queuePosition(id), scheduler.liveProgress(id));
  };
  router.get(QUERY_ROUTE, (ctx) => queryTask(ctx, ctx.params.ticket_id));

  router.post('/cancel_task/:ticket_id', async (ctx) => {
    const id = ctx.params.ticket_id;
    if (!TICKET.test(id)) throw notFound(`No task with ticket_id ${id}.`);
    await extras.guardTicket(ctx, id);
    ctx.req.resume(); // any body is ignored
    const outcome = await scheduler.cancel(id);
    if (outcome.kind === 'not_found') throw notFound(`No task with ticket_id ${id}.`);
    if (outcome.kind === 'final') throw conflict(`The task is already ${outcome.status}; there is nothing to cancel.`);
    log.info({ ticket_id: id, was: outcome.was }, 'task cancelled');
    ctx.body = { status: 'Cancelled', message: 'Task successfully cancelled' };
  });

  router.get('/results/:name', async (ctx) => serveResult(ctx, results, ctx.params.name));

  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  router.get('/ready', async (ctx) => {
    let storeOk = true;
    let counts: Record<string, number> = {};
    let queue = { queued: 0, running: 0 };
    try {
      counts = await store.countByStatus();
      queue = await scheduler.queueStats();
    } catch {
      storeOk = false;
    }
    const info = await deps.readyInfo();
    const loras = installedLoras(deps.loraDir);
    const ready = storeOk && info.ready !== false;
    const taskTypes = Object.fromEntries(Object.entries(availability()).map(([t, a]) => [t, {
      available: a.available && IMPLEMENTED_TASK_TYPES.has(t as never),
      models: a.models,
      install: a.available ? null : a.installCommand,
    }]));
    ctx.status = ready ? 200 : 503;
    ctx.body = {
      status: ready ? 'ready' : 'unavailable',
      serv_name: config.servName,
      queue,
      tasks: counts,
      task_types: taskTypes,
      ...(loras ? { loras } : {}),
      ...info,
    };
  });

  for (const mount of deps.mounts ?? []) {
    mounted.push(mount({
      config, store, frontend: scheduler, models, results, keys: extras.keys, limiter: deps.backends.limiter, log, baseUrl,
      accept: (body) => acceptTask(validator.submitBody(body)),
      readJson: async (ctx) => (await bodyReader.read(ctx, { hash: false })).materialize(),
    }));
  }

  // query_task is what clients poll, often many times a second, and submit_task what a busy
  // server takes most: a plain ticket id, and a POST to exactly /submit_task, are answered here,
  // without the router's per-request matching, composing and parameter decoding. Anything else
  // (HEAD, an id needing decoding, a trailing slash) takes the router, to the same handlers.
  app.use((ctx, next) => {
    if (ctx.method === 'POST' && ctx.path === SUBMIT_ROUTE) {
      // What the router would leave: the metrics' route label (no params on this route).
      Object.assign(ctx, { _matchedRoute: SUBMIT_ROUTE, params: {} });
      return extras.submitGuard(ctx, () => submitTask(ctx));
    }
    if (ctx.method !== 'GET' || !ctx.path.startsWith(QUERY_PREFIX)) return next();
    const id = ctx.path.slice(QUERY_PREFIX.length);
    if (!TICKET.test(id)) return next();
    // What the router would leave: the metrics' route label, and params for the request log.
    Object.assign(ctx, { _matchedRoute: QUERY_ROUTE, params: { ticket_id: id } });
    return queryTask(ctx, id);
  });
  app.use(router.routes());
  if (deps.installer) {
    const admin = new AdminKeys(config.api.adminKeys, extras.keys);
    app.use(modelsRouter({ installer: deps.installer, admin, heartbeatMs: config.api.sseHeartbeatMs }).routes());
  }
  app.use(extras.router.routes());
  for (const m of mounted) app.use(m.middleware);
  app.use(router.allowedMethods({ throw: false }));
  return Object.assign(app, {
    closeExtras: async () => {
      deps.installer?.off('changed', dropAvailability);
      for (const m of mounted) await m.close?.();
      await extras.close();
    },
    bodyReader,
  });
}
