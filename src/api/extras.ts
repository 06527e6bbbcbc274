/**
 * The operator/user extensions around the seed API, built from the same dependencies as the
 * app: API keys, submit guard (idempotency, rate limit, callback_url), SSE, webhooks, metrics,
 * OpenAPI + docs, and the playground. app.ts mounts what this returns; service shutdown calls
 * close().
 */
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Config } from '../config/config.js';
import { parseAllowlist } from '../infra/net/address-policy.js';
import { systemResolver, type HostResolver } from '../infra/net/resolve-target.js';
import type { Logger } from '../infra/logging.js';
import { requestObserver } from '../metrics/http-metrics.js';
import { registerRetentionMetrics } from '../metrics/retention-metrics.js';
import { TaskMetrics } from '../metrics/task-metrics.js';
import { registerWorkerMetrics } from '../metrics/worker-metrics.js';
import type { WorkerStats } from '../workers/task-pool.js';
import type { RetentionStats } from '../retention/sweeper.js';
import type { TaskFrontend } from '../queue/task-frontend.js';
import type { TaskStore } from '../store/task-store.js';
import type { TaskRecord } from '../tasks/types.js';
import { WebhookDispatcher } from '../webhooks/dispatcher.js';
import { LiveNotifier } from '../webhooks/live-notifier.js';
import type { SenderConfig } from '../webhooks/send.js';
import type { ApiBackends } from './backends.js';
import { ApiKeys } from './auth.js';
import { buildOpenApi, type OpenApiFragment } from './openapi.js';
import { docsRouter } from './routes/docs.js';
import { eventsHandler } from './routes/events.js';
import { firstExisting, sendFile } from './routes/static-files.js';
import { submitGuard } from './submit-guard.js';
import type { RequestValidator } from './validate.js';
import type { BodyReader } from './body/read-body.js';

export interface ExtrasDeps {
  config: Config;
  store: TaskStore;
  frontend: TaskFrontend;
  log: Logger;
  validator: RequestValidator;
  bodyReader: BodyReader;
  baseUrl(ctx: Context): string;
  /** Tests inject a resolver; production uses the system's. */
  resolver?: HostResolver;
  /** Idempotency, rate limit and webhook state, chosen by the composition root; closed by close(). */
  backends: ApiBackends;
  workerHostCrashes?(): number;
  /** Per-worker memory and recycles (worker processes only). */
  workerStats?(): WorkerStats;
  /** The retention sweeper's figures; absent where no sweeper runs. */
  retention?(): RetentionStats;
  /** Paths mounted by other layers, for /openapi.json (read when the document is first built). */
  openapiExtra?: () => readonly OpenApiFragment[];
}

export interface ApiExtras {
  keys: ApiKeys;
  /** Latency histogram + request log line; mount first. */
  observe: Middleware;
  /** Runs before the seed submit handler (leaves ctx.state.submitBody). */
  submitGuard: Middleware;
  /**
   * query/cancel: 401 without a key, 404 for another user's task. `known`: the task's record (or
   * null) when the caller has already read it, so a query reads its row once, not twice.
   */
  guardTicket(ctx: Context, ticketId: string, known?: TaskRecord | null): Promise<void>;
  router: Router;
  close(): Promise<void>;
}

/** The playground's files (src/web/): the page's ES modules import each other by these names. */
const PLAYGROUND_FILES = new Set(['playground.js', 'schema-form.js', 'task-types.js', 'task-events.js', 'compare.js', 'recent.js', 'playground.css']);

function packageVersion(): string {
  try {
    return (createRequire(import.meta.url)('../../package.json') as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function createApiExtras(d: ExtrasDeps): ApiExtras {
  const { config, store, frontend, log } = d;
  const api = config.api;
  const keys = new ApiKeys(api.apiKeys);
  const allowlist = parseAllowlist(config.urlAllowlist);

  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'backserv_' });
  const taskMetrics = new TaskMetrics(registry, frontend.events, config.workers);
  const webhookAttempts = new Counter({ name: 'backserv_webhook_deliveries_total', help: 'Webhook delivery attempts by outcome', labelNames: ['outcome'], registers: [registry] });
  const webhookLive = new Counter({ name: 'backserv_webhook_live_total', help: 'Best-effort start/progress webhooks by event and outcome', labelNames: ['event', 'outcome'], registers: [registry] });
  const sseOpen = new Gauge({ name: 'backserv_sse_streams', help: 'Open /events streams', registers: [registry] });
  const crashes = d.workerHostCrashes;
  if (crashes) {
    new Counter({
      name: 'backserv_worker_host_crashes_total', help: 'Times the worker host process died and was restarted', registers: [registry],
      collect() {
        this.reset();
        this.inc(crashes());
      },
    });
  }

  if (d.retention) registerRetentionMetrics(registry, d.retention);
  if (d.workerStats) registerWorkerMetrics(registry, d.workerStats);

  const { idempotency, limiter, webhooks: hooks } = d.backends;
  const sender: SenderConfig | null = api.webhookSecret
    ? { secret: api.webhookSecret, allowlist, resolver: d.resolver ?? systemResolver, timeoutMs: api.webhookTimeoutMs, nodeName: config.servName }
    : null;
  const dispatcher = hooks && sender
    ? new WebhookDispatcher({
      hooks, tasks: store, events: frontend.events, sender,
      limits: { maxAttempts: api.webhookMaxAttempts, backoffMs: api.webhookBackoffMs, maxBackoffMs: api.webhookMaxBackoffMs, pollMs: api.webhookPollMs },
      log, onAttempt: (outcome) => webhookAttempts.inc({ outcome }),
    })
    : null;
  const live = sender
    ? new LiveNotifier({
      events: frontend.events, sender, getTask: (id) => store.get(id), progressMs: api.webhookProgressMs, log,
      onSent: (event, ok) => webhookLive.inc({ event, outcome: ok ? 'delivered' : 'failed' }),
    })
    : null;
  if (!dispatcher) log.info('webhooks off: set BACKSERV_WEBHOOK_SECRET to accept callback_url');
  if (keys.enabled) log.info({ users: new Set(api.apiKeys.values()).size }, 'API keys required on task endpoints');

  // Start-up work that reads the store runs in the background; failures are logged, not fatal.
  const started = (async () => {
    taskMetrics.start(await store.listQueued());
    await dispatcher?.start();
  })().catch((err: unknown) => log.error({ err }, 'extensions failed to start'));

  const router = new Router();
  router.get('/events/:ticket_id', eventsHandler({
    store, frontend, keys, heartbeatMs: api.sseHeartbeatMs, baseUrl: d.baseUrl,
    onOpen: (delta) => sseOpen.inc(delta),
  }));
  router.get('/metrics', async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  const version = packageVersion();
  const docs = docsRouter(() => buildOpenApi({
    version, authRequired: keys.enabled, serverUrl: config.publicUrl ?? undefined, extra: d.openapiExtra?.() ?? [],
  }));
  router.use(docs.routes());

  const here = dirname(fileURLToPath(import.meta.url));
  const webDir = firstExisting(join(here, '..', 'web'), join(here, '..', '..', 'src', 'web'));
  router.get('/', (ctx) => sendFile(ctx, webDir, 'index.html', 60));
  // Explicit paths, not a '/:file' pattern: a catch-all would turn "wrong method" 405s into 404s.
  for (const file of PLAYGROUND_FILES) router.get(`/${file}`, (ctx) => sendFile(ctx, webDir, file, 60));

  return {
    keys,
    observe: requestObserver(registry, log),
    submitGuard: submitGuard({
      keys, validator: d.validator, bodyReader: d.bodyReader, idempotency,
      limiter, webhooksEnabled: dispatcher !== null, allowlist,
      onCallback: async (ticket, url, base, events) => {
        // The task is accepted either way: a 5xx would make the client submit it twice.
        if (events.includes('completed')) {
          await dispatcher?.register(ticket, url, base).catch((err: unknown) => log.error({ err, ticket_id: ticket }, 'webhook registration failed'));
        }
        void live?.watch(ticket, url, base, events);
      },
      baseUrl: d.baseUrl,
      log,
    }),
    async guardTicket(ctx, ticketId, known) {
      const caller = keys.caller(ctx);
      if (caller === null) return;
      const rec = known === undefined ? await store.get(ticketId) : known;
      if (rec) keys.checkOwner(caller, rec.user_id, ticketId);
    },
    router,
    async close() {
      await started;
      live?.close();
      await dispatcher?.close();
      taskMetrics.close();
      await idempotency.close();
      await hooks?.close();
    },
  };
}
